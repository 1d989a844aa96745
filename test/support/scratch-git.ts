import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// A fixed identity and no host configuration, so commits are reproducible
// and nothing from the machine running the tests leaks in.
const GIT_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/nonexistent",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export interface ScratchRepository {
  path: string;
  git(...args: string[]): Promise<string>;
  /** Writes the files (a value starting with "->" makes a symbolic link
   * to the rest) and commits them on the current branch; returns the sha. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
}

/** A plain (non-bare) repository on branch `main`, for tests to commit to. */
export async function scratchRepository(
  dir: string,
): Promise<ScratchRepository> {
  await mkdir(dir, { recursive: true });
  const git = async (...args: string[]) =>
    (await run("git", ["-C", dir, ...args], { env: GIT_ENV })).stdout.trim();
  await git("init", "--quiet", "--initial-branch=main");

  let count = 0;
  const commit = async (files: Record<string, string>, message?: string) => {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      if (content.startsWith("->")) await symlink(content.slice(2), file);
      else await writeFile(file, content);
    }
    count += 1;
    await git("add", "--all");
    await git("commit", "--quiet", "-m", message ?? `commit ${count}`);
    return git("rev-parse", "HEAD");
  };
  return { path: dir, git, commit };
}

export interface CommittedRepository extends ScratchRepository {
  /** The sha of the one commit on `main`. */
  head: string;
}

/** A scratch repository whose `main` holds one commit of `files`. */
export async function committedRepository(
  dir: string,
  files: Record<string, string>,
  message = "init",
): Promise<CommittedRepository> {
  const repository = await scratchRepository(dir);
  const head = await repository.commit(files, message);
  return { ...repository, head };
}
