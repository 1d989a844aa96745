import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { AppError } from "../../app/errors/app-error.ts";
import type { GitRemote } from "../types.ts";
import { cacheName } from "./cache-name.ts";
import { withFileLock } from "./file-lock.ts";
import { git, GitError } from "./git.ts";
import { pathExists } from "./path-exists.ts";
import { looksLikeSha, refNameProblem, validateBaseRef } from "./ref-names.ts";

// A fetch from a slow upstream can take minutes; waiting longer than this
// for another run's fetch of the same repository means something hangs.
const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60 * 1000;

// Branches and tags only: pull request refs and other namespaces would grow
// the mirror without helping any run. Forced so rewritten upstream history
// is followed; `--prune` drops what the upstream deleted.
const REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

// Settings of every mirror. Clones borrow its objects through alternates,
// so nothing may ever delete an object: automatic gc could prune an object
// that a running workspace still relies on. Shortcoming: a mirror therefore
// only grows (objects of force-pushed history stay); a repack with
// --keep-unreachable while no run of the repository is active would bound
// the number of packs without risking a borrower.
const MIRROR_CONFIG: Record<string, string> = {
  "gc.auto": "0",
  "maintenance.auto": "false",
  "core.logAllRefUpdates": "false",
};

// World-readable whatever the process umask, so the container's unprivileged
// user can read the mirror through its read-only mount.
const MIRROR_MODE = "0644";

export interface MirrorOptions {
  /** The app's data directory; mirrors live in `<dataDir>/cache`. */
  dataDir: string;
  /** Stable name of the upstream repository (hostile input). */
  repository: string;
  log: Logger;
  lockTimeoutMs?: number;
}

/** Where the mirror of `repository` lives (it may not exist yet). */
export function mirrorPath(dataDir: string, repository: string): string {
  return path.join(
    path.resolve(dataDir),
    "cache",
    `${cacheName(repository)}.git`,
  );
}

/**
 * Creates the bare mirror of a repository on first use, or brings it up to
 * date with one incremental `git fetch --prune`, and returns its path.
 *
 * Updates of one mirror are serialised across processes by a lock file next
 * to it; clones read the mirror without the lock, which is safe because a
 * fetch only adds objects and swaps refs atomically, and nothing deletes
 * objects (see MIRROR_CONFIG).
 *
 * @throws AppError MIRROR_UPDATE_FAILED, MIRROR_LOCK_TIMEOUT
 */
export async function updateMirror(
  options: MirrorOptions & { remote: GitRemote },
): Promise<string> {
  const mirror = mirrorPath(options.dataDir, options.repository);
  const log = options.log.child({ repository: options.repository });
  await mkdir(path.dirname(mirror), { recursive: true });

  const started = Date.now();
  await withFileLock(
    `${mirror}.lock`,
    options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    async () => {
      await removeAbandonedCreations(mirror);
      if (await pathExists(mirror)) {
        await fetchInto(mirror, options.remote);
        await repairDanglingHead(mirror, options.remote);
        log.debug({ mirror }, "mirror updated");
        return;
      }
      await createMirror(mirror, options.remote);
      log.info({ mirror }, "mirror created");
    },
  );
  log.debug({ mirror, durationMs: Date.now() - started }, "mirror ready");
  return mirror;
}

/** Whether the mirror already holds `sha` as a commit. */
export async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  if (!(await pathExists(mirror))) return false;
  return (await revParseCommit(mirror, sha)) !== null;
}

/**
 * Resolves a base ref (branch, tag, `refs/...`, `HEAD` or sha) to a commit
 * sha using the mirror alone.
 * @throws AppError BASE_REF_INVALID, BASE_REF_NOT_FOUND
 */
export async function resolveCommit(
  mirror: string,
  ref: string,
): Promise<string> {
  validateBaseRef(ref);
  const candidates =
    ref === "HEAD" || ref.startsWith("refs/")
      ? [ref]
      : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  if (looksLikeSha(ref)) candidates.push(ref);

  for (const candidate of candidates) {
    const sha = await revParseCommit(mirror, candidate);
    if (sha) return sha;
  }
  throw new AppError(
    "BASE_REF_NOT_FOUND",
    `The base ${JSON.stringify(ref)} is not a branch, tag or commit of the repository.`,
  );
}

async function revParseCommit(
  mirror: string,
  name: string,
): Promise<string | null> {
  try {
    const out = await git(
      [
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        `${name}^{commit}`,
      ],
      { cwd: mirror },
    );
    return out.trim();
  } catch (error) {
    // --quiet turns "no such object" into a bare exit code 1.
    if (error instanceof GitError && error.exitCode === 1) return null;
    throw error;
  }
}

async function createMirror(mirror: string, remote: GitRemote): Promise<void> {
  // Built under a temporary name and renamed into place, so a crash halfway
  // never leaves something that looks like a usable mirror.
  const suffix = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const building = `${mirror}.creating-${suffix}`;
  try {
    await git([
      "init",
      "--quiet",
      "--bare",
      "--template=",
      `--shared=${MIRROR_MODE}`,
      building,
    ]);
    for (const [key, value] of Object.entries(MIRROR_CONFIG)) {
      await git(["config", key, value], { cwd: building });
    }
    await fetchInto(building, remote);
    await setHeadFromUpstream(building, remote);
    await rename(building, mirror);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw wrapFetchError(error);
  }
}

async function fetchInto(mirror: string, remote: GitRemote): Promise<void> {
  try {
    await git(
      [
        "fetch",
        "--quiet",
        "--prune",
        "--no-write-fetch-head",
        "--no-auto-maintenance",
        "--end-of-options",
        remote.url,
        ...REFSPECS,
      ],
      { cwd: mirror, config: remote.config },
    );
  } catch (error) {
    throw wrapFetchError(error);
  }
}

/**
 * Points the mirror's HEAD at the upstream's default branch, so that a run
 * based on `HEAD` starts where a plain clone would.
 */
async function setHeadFromUpstream(
  mirror: string,
  remote: GitRemote,
): Promise<void> {
  const out = await git(
    ["ls-remote", "--symref", "--end-of-options", remote.url, "HEAD"],
    { config: remote.config },
  );
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  const branch = match?.[1];
  // An empty upstream has no HEAD to copy; an odd one is not trusted.
  if (!branch || refNameProblem(branch, { allowOneLevel: true })) return;
  await git(["symbolic-ref", "HEAD", `refs/heads/${branch}`], { cwd: mirror });
}

// The default branch is read only when the mirror is created (it costs a
// round trip) and again when the branch HEAD names was deleted upstream.
async function repairDanglingHead(
  mirror: string,
  remote: GitRemote,
): Promise<void> {
  if ((await revParseCommit(mirror, "HEAD")) !== null) return;
  try {
    await setHeadFromUpstream(mirror, remote);
  } catch (error) {
    throw wrapFetchError(error);
  }
}

async function removeAbandonedCreations(mirror: string): Promise<void> {
  const dir = path.dirname(mirror);
  const prefix = `${path.basename(mirror)}.creating-`;
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(prefix)) {
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

function wrapFetchError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  return new AppError(
    "MIRROR_UPDATE_FAILED",
    "Fetching from the upstream repository failed.",
    { cause: error },
  );
}
