import type { Logger } from "pino";

import { INSTANCE_LABEL, RUN_LABEL } from "./container-spec.ts";
import type { DockerEngine } from "./docker-engine.ts";

/**
 * Removes this installation's containers whose runs are no longer active,
 * left behind by a crash or a restart. A container is only ever touched
 * when both of our labels are on it and the instance label is exactly ours:
 * other installations on the same engine, and containers we did not make,
 * are left alone. Resolves to the ids removed.
 */
export async function sweepContainers(
  engine: DockerEngine,
  instance: string,
  isActive: (runId: string) => boolean | Promise<boolean>,
  log?: Logger,
): Promise<string[]> {
  const listed = await engine.listContainers(`${INSTANCE_LABEL}=${instance}`);
  const removed: string[] = [];

  for (const container of listed) {
    // The engine filtered by label already; checked again because the
    // filter is the engine's word and removal is ours to answer for.
    const runId = container.labels[RUN_LABEL];
    if (container.labels[INSTANCE_LABEL] !== instance || !runId) continue;
    if (await isActive(runId)) continue;

    await engine.removeContainer(container.id);
    removed.push(container.id);
    log?.info({ runId, containerId: container.id }, "stale container removed");
  }
  return removed;
}
