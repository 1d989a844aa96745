import path from "node:path";

import { AppError } from "../../app/errors/app-error.ts";

// Run ids become file names; ours are UUIDs, anything else is refused
// rather than escaped.
const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export interface WorkspacePaths {
  /** The mount point, which is the repository's working tree. */
  dir: string;
  /** The sparse ext4 image mounted at `dir`. */
  image: string;
}

/** The folder holding every run's workspace and image. */
export function workspacesRoot(dataDir: string): string {
  return path.join(path.resolve(dataDir), "workspaces");
}

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}

/**
 * Where the workspace of `runId` lives under `root`.
 * @throws AppError WORKSPACE_PREPARE_FAILED for a run id that is not a
 * plain name.
 */
export function workspacePaths(root: string, runId: string): WorkspacePaths {
  if (!isRunId(runId)) {
    throw new AppError(
      "WORKSPACE_PREPARE_FAILED",
      `The run id ${JSON.stringify(runId)} is not usable as a folder name (letters, digits, "-" and "_" only).`,
    );
  }
  return {
    dir: path.join(root, runId),
    image: path.join(root, `${runId}.img`),
  };
}
