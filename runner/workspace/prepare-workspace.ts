import { mkdir, open } from "node:fs/promises";

import type { Logger } from "pino";

import { AppError } from "../../app/errors/app-error.ts";
import type { RunSpec, Upstream } from "../types.ts";
import { copyCheckout, WORKSPACE_OWNER } from "./checkout-template.ts";
import { git } from "./git.ts";
import {
  assertLoopSupport,
  destroyImage,
  MIN_WORKSPACE_BYTES,
  mountImage,
} from "./loop-filesystem.ts";
import { validateAgentBranch, validateBaseRef } from "./ref-names.ts";
import {
  hasCommit,
  mirrorPath,
  resolveCommit,
  updateMirror,
} from "./repo-cache.ts";
import { runProcess } from "./run-process.ts";
import { workspacePaths, workspacesRoot } from "./workspace-paths.ts";

// A full sha needs no fetch when the mirror already has it; names can move.
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface PrepareWorkspaceOptions {
  /** The app's data directory (cache and workspaces live under it). */
  dataDir: string;
  spec: Pick<RunSpec, "runId" | "repository" | "baseRef" | "branch"> & {
    limits: Pick<RunSpec["limits"], "workspaceBytes">;
  };
  upstream: Pick<Upstream, "fetchSource">;
  log: Logger;
}

export interface Workspace {
  /** The working tree: mount it at /workspace. */
  dir: string;
  /** The mirror whose objects the clone borrows: mount it read-only at
   * this same absolute path, so `objects/info/alternates` stays valid. */
  mirrorDir: string;
  baseSha: string;
  /** Unmounts and deletes the workspace; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Prepares the run's workspace: its own ext4 file system of exactly the
 * workspace cap, holding a clone that borrows every object from the
 * repository's mirror, checked out at the base commit on the run's branch,
 * and owned by the container's user.
 *
 * INVARIANT: this is the last time the host runs git in the workspace. Once
 * it returns, the agent can write there (including `.git/config` and hooks),
 * so everything later (the door, cleanup) treats the directory as hostile
 * and only unmounts and deletes it.
 *
 * @throws AppError BRANCH_NAME_INVALID, BASE_REF_INVALID, BASE_REF_NOT_FOUND,
 * WORKSPACE_UNSUPPORTED, WORKSPACE_PREPARE_FAILED, MIRROR_UPDATE_FAILED,
 * MIRROR_LOCK_TIMEOUT
 */
export async function prepareWorkspace(
  options: PrepareWorkspaceOptions,
): Promise<Workspace> {
  const { spec } = options;
  const log = options.log.child({ runId: spec.runId });
  const root = workspacesRoot(options.dataDir);
  const paths = workspacePaths(root, spec.runId);
  validateAgentBranch(spec.branch);
  validateBaseRef(spec.baseRef);
  const bytes = spec.limits.workspaceBytes;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_WORKSPACE_BYTES) {
    throw new AppError(
      "WORKSPACE_PREPARE_FAILED",
      `The workspace cap of ${bytes} bytes is not a whole number of at least ${MIN_WORKSPACE_BYTES}.`,
    );
  }
  await assertLoopSupport();

  const started = Date.now();
  const mirrorDir = await freshMirror(options);
  const baseSha = await resolveCommit(mirrorDir, spec.baseRef);
  const fetchedMs = Date.now() - started;

  let released: Promise<void> | undefined;
  const release = (): Promise<void> => {
    released ??= destroyImage(paths.image, paths.dir).then(() =>
      log.debug({ dir: paths.dir }, "workspace released"),
    );
    return released;
  };

  await mkdir(root, { recursive: true, mode: 0o700 });
  await claimImage(paths.image, spec.runId);
  let built = false;
  try {
    const copy = { mirror: mirrorDir, baseSha, bytes, target: paths.image };
    ({ built } = await copyCheckout({ ...copy, log }));
    await mountImage(paths.image, paths.dir);
    await startBranch(paths.dir, spec.branch, baseSha);
  } catch (error) {
    await release();
    if (error instanceof AppError) throw error;
    throw new AppError(
      "WORKSPACE_PREPARE_FAILED",
      `Checking out ${baseSha} into ${paths.dir} failed.`,
      { cause: error },
    );
  }

  log.info(
    {
      dir: paths.dir,
      baseSha,
      built,
      fetchedMs,
      durationMs: Date.now() - started,
    },
    "workspace prepared",
  );
  return { dir: paths.dir, mirrorDir, baseSha, release };
}

/**
 * Creates the run's image file empty, failing if it exists: a run id is
 * prepared once, and a second attempt must neither share nor (on its way
 * out) delete the first one's workspace.
 */
async function claimImage(image: string, runId: string): Promise<void> {
  try {
    await (await open(image, "wx", 0o600)).close();
  } catch (error) {
    throw new AppError(
      "WORKSPACE_PREPARE_FAILED",
      `A workspace for run ${runId} already exists at ${image}.`,
      { cause: error },
    );
  }
}

async function freshMirror(options: PrepareWorkspaceOptions): Promise<string> {
  const { dataDir, spec, log } = options;
  const mirror = mirrorPath(dataDir, spec.repository);
  if (FULL_SHA.test(spec.baseRef) && (await hasCommit(mirror, spec.baseRef))) {
    return mirror;
  }
  const remote = await options.upstream.fetchSource();
  return updateMirror({ dataDir, repository: spec.repository, remote, log });
}

/**
 * Puts the copy's detached HEAD on the run's branch at the base commit.
 * The copy is fresh from our own template and not yet mounted into any
 * container, which is why git may run in it (hence safe.directory: its
 * files already belong to the agent's user).
 */
async function startBranch(dir: string, branch: string, sha: string) {
  const ref = `refs/heads/${branch}`;
  const options = { cwd: dir, config: { "safe.directory": dir } };
  // The empty old value makes git refuse if the branch somehow exists.
  await git(["update-ref", "--end-of-options", ref, sha, ""], options);
  await git(["symbolic-ref", "HEAD", ref], options);
  await runProcess("chown", ["-R", "-h", WORKSPACE_OWNER, `${dir}/.git`]);
}
