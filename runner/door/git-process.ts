import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

import { gitEnvironment } from "../git-environment.ts";

// Enough of stderr to explain a failure, no more: a hostile pack can make
// git print a great deal.
const STDERR_KEEP_BYTES = 4_000;

// A git call that takes longer than this on one push is stuck, not busy.
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface GitCall {
  /** Repository to run in (`--git-dir`). */
  gitDir?: string;
  /** Per-call configuration, passed in the environment, never on argv. */
  config?: Record<string, string>;
  /** Extra environment such as `GIT_PROTOCOL`. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts git with piped stdio; the caller owns the streams. */
export function spawnGit(
  args: readonly string[],
  call: GitCall = {},
): ChildProcessWithoutNullStreams {
  const dirArgs = call.gitDir ? [`--git-dir=${call.gitDir}`] : [];
  return spawn("git", [...dirArgs, ...args], {
    env: gitEnvironment(call),
    stdio: ["pipe", "pipe", "pipe"],
    timeout: call.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

export interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs git to completion and resolves whatever its exit code; stdout is
 * kept up to `maxStdout` bytes (more is an error: the caller asked for a
 * bounded answer and did not get one).
 */
export function runGit(
  args: readonly string[],
  call: GitCall & { input?: Buffer | string; maxStdout?: number } = {},
): Promise<GitResult> {
  const maxStdout = call.maxStdout ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, call);
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        child.kill("SIGKILL");
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP_BYTES);
    });
    child.stdin.on("error", () => undefined);
    child.on("error", reject);
    child.on("close", (code) => {
      if (stdoutBytes > maxStdout) {
        reject(
          new Error(`git ${args[0]} printed more than ${maxStdout} bytes`),
        );
        return;
      }
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.end(call.input ?? "");
  });
}

/** Runs git and resolves its stdout as text, rejecting on a non-zero exit. */
export async function gitText(
  args: readonly string[],
  call: GitCall & { input?: Buffer | string; maxStdout?: number } = {},
): Promise<string> {
  const result = await runGit(args, call);
  if (result.code !== 0) {
    throw new Error(
      `git ${args[0]} exited ${result.code ?? "by signal"}: ${oneLine(result.stderr)}`,
    );
  }
  return result.stdout.toString("utf8");
}

/** Git's stderr reduced to one printable line, safe to show or log. */
export function oneLine(text: string, maxChars = 300): string {
  return text
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim()
    .slice(0, maxChars);
}
