import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type { EntrypointEnv } from "./read-environment.ts";

const run = promisify(execFile);

export const WORKSPACE = "/workspace";

/** The door's git gateway as seen from inside, through the forwarder. */
export function doorRemoteUrl(env: EntrypointEnv): string {
  return `http://127.0.0.1:${env.doorPort}/git/${env.repository}.git`;
}

/**
 * Writes the global git configuration under HOME and points the workspace's
 * `origin` at the door, so a plain `git push` of the scoped branch works.
 * The file is written whole rather than through `git config` calls because
 * every millisecond here delays the agent's start.
 */
export async function configureGit(env: EntrypointEnv): Promise<void> {
  await mkdir(env.home, { recursive: true, mode: 0o700 });

  // The door checks this credential on every git request; the header is
  // scoped to the door's address so git never sends it anywhere else.
  const basic = Buffer.from(`x-access-token:${env.doorToken}`).toString(
    "base64",
  );
  const door = `http://127.0.0.1:${env.doorPort}/`;
  const config = [
    "[user]",
    "\tname = Agent Sandbox",
    "\temail = agent@agent-sandbox.invalid",
    "[safe]",
    `\tdirectory = ${WORKSPACE}`,
    "[push]",
    "\tdefault = current",
    `[http "${door}"]`,
    `\textraHeader = Authorization: Basic ${basic}`,
    "",
  ].join("\n");
  await writeFile(path.join(env.home, ".gitconfig"), config, { mode: 0o600 });

  await git([
    "config",
    "--local",
    "--replace-all",
    "remote.origin.url",
    doorRemoteUrl(env),
  ]);
  await git([
    "config",
    "--local",
    "--replace-all",
    "remote.origin.fetch",
    "+refs/heads/*:refs/remotes/origin/*",
  ]);
}

/** Runs git in the workspace; rejects with git's own message on failure. */
export async function git(args: string[]): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd: WORKSPACE,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
