import { readdir } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { sweepTemplateBuilds } from "./checkout-template.ts";
import { destroyImage } from "./loop-filesystem.ts";
import { isRunId, workspacePaths, workspacesRoot } from "./workspace-paths.ts";

/**
 * Crash recovery, for the start of a worker: unmounts and deletes every
 * workspace under `<dataDir>/workspaces` whose run `isActive` says is over
 * and returns their run ids, and removes checkout templates whose build
 * was cut short. Entries not named like a run are left alone.
 * @throws AppError WORKSPACE_RELEASE_FAILED
 */
export async function sweepWorkspaces(
  dataDir: string,
  isActive: (runId: string) => boolean | Promise<boolean>,
  log: Logger,
): Promise<string[]> {
  await sweepTemplateBuilds(path.join(path.resolve(dataDir), "cache"));

  const root = workspacesRoot(dataDir);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }

  const runIds = new Set(
    entries.map((entry) => entry.replace(/\.img$/, "")).filter(isRunId),
  );
  const swept: string[] = [];
  for (const runId of runIds) {
    if (await isActive(runId)) continue;
    const paths = workspacePaths(root, runId);
    await destroyImage(paths.image, paths.dir);
    swept.push(runId);
    log.info({ runId, dir: paths.dir }, "stale workspace removed");
  }
  return swept;
}
