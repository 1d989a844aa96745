import { readdir } from "node:fs/promises";

import type { Logger } from "pino";

import { destroyImage } from "./loop-filesystem.ts";
import { isRunId, workspacePaths, workspacesRoot } from "./workspace-paths.ts";

/**
 * Crash recovery: unmounts and deletes every workspace under
 * `<dataDir>/workspaces` whose run `isActive` says is over, and returns
 * their run ids. Entries that are not named like a run are left alone.
 * @throws AppError WORKSPACE_RELEASE_FAILED
 */
export async function sweepWorkspaces(
  dataDir: string,
  isActive: (runId: string) => boolean | Promise<boolean>,
  log: Logger,
): Promise<string[]> {
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
