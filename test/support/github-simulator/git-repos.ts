import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Bare repositories on disk are the simulator's only record of repository
 * content: the REST endpoints read refs and files from them, and pushes
 * through `git http-backend` change them, so both views always agree.
 */

export const SIMULATED_AUTHOR = {
  name: "Simulated Author",
  email: "author@simulator.invalid",
};

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

export interface GitOptions {
  gitDir: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures. */
  okCodes?: number[];
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** The environment every git child gets: nothing from the user's config. */
export function gitEnvironment(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C",
  };
}

export async function runGit(
  args: string[],
  options: GitOptions,
): Promise<GitResult> {
  const env = {
    ...gitEnvironment(path.dirname(options.gitDir)),
    GIT_DIR: options.gitDir,
    ...options.env,
  };
  const input = options.input;
  const child = spawn("git", args, {
    env,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined && child.stdin) {
    // git may exit before reading everything (an unknown object); the
    // exit code tells, not the broken pipe.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  }
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => resolve(status ?? 128));
  });
  const result = { code, stdout: Buffer.concat(out), stderr };
  if (code !== 0 && !(options.okCodes ?? []).includes(code)) {
    throw new Error(`git ${args.join(" ")} failed (${code}): ${stderr}`);
  }
  return result;
}

export async function initBareRepository(
  gitDir: string,
  defaultBranch: string,
): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  await runGit(
    ["init", "--quiet", "--bare", `--initial-branch=${defaultBranch}`],
    { gitDir },
  );
  // GitHub owns refs/pull/*: pushes there are refused, as on GitHub.
  await runGit(["config", "receive.hideRefs", "refs/pull"], { gitDir });
}

/** The commit a branch points at, or null when the branch does not exist. */
export async function resolveBranch(
  gitDir: string,
  branch: string,
): Promise<string | null> {
  const result = await runGit(
    ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`],
    { gitDir, okCodes: [1, 128] },
  );
  return result.code === 0 ? result.stdout.toString().trim() : null;
}

/** The object a full ref name points at, or null when it does not exist. */
export async function resolveRef(
  gitDir: string,
  ref: string,
): Promise<string | null> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", ref], {
    gitDir,
    okCodes: [1, 128],
  });
  return result.code === 0 ? result.stdout.toString().trim() : null;
}

/** A commit sha for a branch name or a full sha, or null. */
export async function resolveCommitish(
  gitDir: string,
  ref: string,
): Promise<string | null> {
  if (/^[0-9a-f]{40}$/.test(ref)) {
    const result = await runGit(["cat-file", "-e", `${ref}^{commit}`], {
      gitDir,
      okCodes: [1, 128],
    });
    return result.code === 0 ? ref : null;
  }
  return resolveBranch(gitDir, ref.replace(/^refs\/heads\//, ""));
}

export async function listBranches(
  gitDir: string,
): Promise<Map<string, string>> {
  const result = await runGit(
    ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/"],
    { gitDir },
  );
  const branches = new Map<string, string>();
  for (const line of result.stdout.toString().split("\n")) {
    const [sha, ref] = line.split(" ");
    if (sha && ref) branches.set(ref.slice("refs/heads/".length), sha);
  }
  return branches;
}

export interface CommitRequest {
  branch: string;
  /** Path to new content; null deletes the path. */
  files: Record<string, string | Buffer | null>;
  message: string;
  /** Start a new branch from this commit when `branch` does not exist. */
  startPoint?: string;
}

/**
 * Writes one commit onto a branch without a working tree, through a private
 * index, and moves the branch only if nobody moved it meanwhile.
 */
export async function commitFiles(
  gitDir: string,
  request: CommitRequest,
): Promise<string> {
  const current = await resolveBranch(gitDir, request.branch);
  const parent = current ?? request.startPoint ?? null;
  const scratch = await mkdtemp(path.join(path.dirname(gitDir), ".index-"));
  const env = {
    GIT_INDEX_FILE: path.join(scratch, "index"),
    GIT_AUTHOR_NAME: SIMULATED_AUTHOR.name,
    GIT_AUTHOR_EMAIL: SIMULATED_AUTHOR.email,
    GIT_COMMITTER_NAME: SIMULATED_AUTHOR.name,
    GIT_COMMITTER_EMAIL: SIMULATED_AUTHOR.email,
  };
  try {
    await runGit(["read-tree", parent ?? EMPTY_TREE], { gitDir, env });

    for (const [filePath, content] of Object.entries(request.files)) {
      if (content === null) {
        await runGit(["update-index", "--force-remove", "--", filePath], {
          gitDir,
          env,
        });
        continue;
      }
      const blob = await runGit(["hash-object", "-w", "--stdin"], {
        gitDir,
        input: content,
      });
      const sha = blob.stdout.toString().trim();
      await runGit(
        ["update-index", "--add", "--cacheinfo", `100644,${sha},${filePath}`],
        { gitDir, env },
      );
    }

    const tree = (await runGit(["write-tree"], { gitDir, env })).stdout
      .toString()
      .trim();
    const parents = parent ? ["-p", parent] : [];
    const commit = (
      await runGit(["commit-tree", tree, ...parents, "-m", request.message], {
        gitDir,
        env,
      })
    ).stdout
      .toString()
      .trim();
    const expectedOld = current ?? "0".repeat(40);
    await runGit(
      ["update-ref", `refs/heads/${request.branch}`, commit, expectedOld],
      { gitDir },
    );
    return commit;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export type TreeEntry =
  | { type: "blob"; path: string; sha: string; size: number }
  | { type: "tree"; path: string; sha: string };

/** What a path names at a commit: a file, a folder, or nothing. */
export async function describePath(
  gitDir: string,
  commit: string,
  filePath: string,
): Promise<TreeEntry | null> {
  const spec = filePath === "" ? `${commit}^{tree}` : `${commit}:${filePath}`;
  const result = await runGit(
    ["cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)"],
    { gitDir, input: `${spec}\n` },
  );
  const [type, sha, size] = result.stdout.toString().trim().split(" ");
  if (type === "blob" && sha) {
    return { type, path: filePath, sha, size: Number(size) };
  }
  if (type === "tree" && sha) return { type, path: filePath, sha };
  return null;
}

export async function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  return (await runGit(["cat-file", "blob", sha], { gitDir })).stdout;
}

export async function listTree(
  gitDir: string,
  commit: string,
  folder: string,
): Promise<TreeEntry[]> {
  const spec = folder === "" ? commit : `${commit}:${folder}`;
  const result = await runGit(["ls-tree", "-l", "-z", spec], { gitDir });
  const entries: TreeEntry[] = [];
  for (const record of result.stdout.toString().split("\0")) {
    const match = /^\d+ (blob|tree|commit) ([0-9a-f]+)\s+(\S+)\t(.*)$/s.exec(
      record,
    );
    if (!match) continue;
    const [, type, sha = "", size = "", name = ""] = match;
    const entryPath = folder === "" ? name : `${folder}/${name}`;
    if (type === "blob") {
      entries.push({ type, path: entryPath, sha, size: Number(size) });
    } else if (type === "tree") {
      entries.push({ type, path: entryPath, sha });
    }
  }
  return entries;
}

/** Whether `head` has commits that `base` lacks. */
export async function hasCommitsAhead(
  gitDir: string,
  base: string,
  head: string,
): Promise<boolean> {
  const result = await runGit(["rev-list", "--count", `${base}..${head}`], {
    gitDir,
  });
  return Number(result.stdout.toString().trim()) > 0;
}

export async function commitMessage(
  gitDir: string,
  sha: string,
): Promise<string> {
  const result = await runGit(["log", "-1", "--format=%B", sha], { gitDir });
  return result.stdout.toString().trim();
}
