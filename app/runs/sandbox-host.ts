import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { ensureRunnerImage } from "../../runner/image/build-image.ts";
import type { SandboxHost } from "../../runner/run-sandbox.ts";
import { checkRuntime } from "../../runner/sandbox/check-runtime.ts";
import { createDockerEngine } from "../../runner/sandbox/docker-engine.ts";
import { sweepContainers } from "../../runner/sandbox/sweep-containers.ts";
import { sweepWorkspaces } from "../../runner/workspace/sweep-workspaces.ts";
import type { Config } from "../config/load-config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log/logger.ts";
import { createCredentialStore } from "./credential-store.ts";
import { isRunActive } from "./run-records.ts";

/**
 * Everything a process needs to run sandboxes, from its configuration: the
 * engine, the runner image (built on first use, with its progress logged),
 * the credential store and the model providers whose keys stay here.
 */
export async function createSandboxHost(
  config: Config,
  db: Database,
  log: Logger,
  onProgress: (line: string) => void = (line) =>
    log.info({ progress: line }, "building runner image"),
): Promise<SandboxHost> {
  const engine = createDockerEngine(config.docker.socketPath);
  await checkRuntime(engine, config.runner.runtime);
  const image = await ensureRunnerImage(engine, {
    baseImage: config.runner.baseImage,
    log,
    onProgress,
  });
  const { anthropic, openai } = config.models;

  return {
    engine,
    engineSocket: config.docker.socketPath,
    image,
    dataDir: config.dataDir,
    instance: config.instance,
    credentials: createCredentialStore(db),
    models: {
      ...(anthropic.apiKey && {
        anthropic: {
          baseUrl: anthropic.baseUrl,
          apiKey: anthropic.apiKey.reveal(),
        },
      }),
      ...(openai.apiKey && {
        openai: { baseUrl: openai.baseUrl, apiKey: openai.apiKey.reveal() },
      }),
    },
    tokenBudget: config.models.tokenBudget,
  };
}

/**
 * Removes what crashed runs left behind: containers, workspaces and doors of
 * runs that are no longer active. Only this installation's containers are
 * considered.
 */
export async function sweepLeftovers(
  host: SandboxHost,
  db: Database,
  log: Logger,
): Promise<void> {
  const isActive = (runId: string) => isRunActive(db, runId);
  await sweepContainers(host.engine, host.instance, isActive, log);
  await sweepWorkspaces(host.dataDir, isActive, log);

  const doors = path.join(host.dataDir, "doors");
  const entries = await readdir(doors).catch(() => [] as string[]);
  for (const runId of entries) {
    if (await isActive(runId)) continue;
    await rm(path.join(doors, runId), { recursive: true, force: true });
  }
}
