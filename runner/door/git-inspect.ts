import { ZERO_SHA } from "./git-command-list.ts";
import { runGit } from "./git-process.ts";

// What the door needs to know about a pushed range, read from the push's
// quarantine repository. The range is every commit reachable from the new
// tip that neither the mirror nor the run's accepted pushes already hold
// (`--alternate-refs`: the ref tips of the repositories the quarantine
// borrows from), and, for an update, nothing reachable from the old tip.

// A raw diff entry of `git log --raw -z`: ":<mode> <mode> <sha> <sha> <status>".
const RAW_ENTRY =
  /^:([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40}) ([0-9a-f]{40}) ([A-Z])[0-9]*$/;
const SHA = /^[0-9a-f]{40}$/;
// Large enough for the raw listing of any push within the commit limit.
const MAX_LISTING_BYTES = 256 * 1024 * 1024;

export interface FileChange {
  commit: string;
  path: string;
  /** The blob after the change; the zero sha for a deletion. */
  blob: string;
  mode: string;
}

export interface PushedRange {
  gitDir: string;
  oldSha: string;
  newSha: string;
}

export function rangeArgs(range: PushedRange): string[] {
  const exclude = range.oldSha === ZERO_SHA ? [] : [`^${range.oldSha}`];
  return [range.newSha, ...exclude, "--not", "--alternate-refs", "--"];
}

/** `commit`, `tree`, `blob`, `tag`, or null when the object is missing. */
export async function objectType(
  gitDir: string,
  sha: string,
): Promise<string | null> {
  const result = await runGit(["cat-file", "-t", sha], { gitDir });
  return result.code === 0 ? result.stdout.toString("ascii").trim() : null;
}

/** Whether `ancestor` is reachable from `sha`; null when one is missing. */
export async function isAncestor(
  gitDir: string,
  ancestor: string,
  sha: string,
): Promise<boolean | null> {
  const result = await runGit(["merge-base", "--is-ancestor", ancestor, sha], {
    gitDir,
  });
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  return null;
}

export interface RangeListing {
  /** The new commits, newest first, at most `limit + 1` of them so a
   * caller can tell "at the limit" from "over it". */
  commits: string[];
  changes: FileChange[];
}

/**
 * The new commits and every file each of them changes against its first
 * parent (a merge is judged by what it brings onto the branch, whichever
 * side it came from), from one walk of the range.
 */
export async function listRange(
  range: PushedRange,
  limit: number,
): Promise<RangeListing> {
  const result = await runGit(
    [
      "log",
      "-z",
      "--raw",
      "--no-abbrev",
      "--format=%H",
      "--no-renames",
      "--diff-merges=first-parent",
      ...rangeArgs(range),
    ],
    { gitDir: range.gitDir, maxStdout: MAX_LISTING_BYTES },
  );
  if (result.code !== 0) throw gitFailure("log", result.stderr);
  const listing = parseRawLog(result.stdout);
  return { ...listing, commits: listing.commits.slice(0, limit + 1) };
}

/** Parses `git log -z --raw --format=%H`: a path always follows its raw
 * entry, so no file name can pass for a commit or an entry. */
export function parseRawLog(output: Buffer): RangeListing {
  const commits: string[] = [];
  const changes: FileChange[] = [];
  const tokens = output.toString("utf8").split("\0");
  let commit = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = (tokens[i] ?? "").replace(/^\n/, "");
    const entry = RAW_ENTRY.exec(token);
    if (entry) {
      const path = tokens[++i] ?? "";
      changes.push({
        commit,
        path,
        blob: entry[4] ?? ZERO_SHA,
        mode: entry[2] ?? "",
      });
      continue;
    }
    if (SHA.test(token)) {
      commit = token;
      commits.push(token);
    }
  }
  return { commits, changes };
}

/** Sizes in bytes of the given blobs, read in one batch. */
export async function blobSizes(
  gitDir: string,
  blobs: readonly string[],
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (blobs.length === 0) return sizes;
  const result = await runGit(
    ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
    { gitDir, input: blobs.join("\n") + "\n" },
  );
  if (result.code !== 0) throw gitFailure("cat-file", result.stderr);
  for (const line of result.stdout.toString("ascii").split("\n")) {
    const [sha, type, size] = line.split(" ");
    if (sha && type === "blob" && size) sizes.set(sha, Number(size));
  }
  return sizes;
}

function gitFailure(command: string, stderr: string): Error {
  return new Error(
    `git ${command} failed in quarantine: ${stderr.slice(0, 300)}`,
  );
}
