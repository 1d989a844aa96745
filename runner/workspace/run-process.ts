import { spawn } from "node:child_process";

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ProcessOutput {
  stdout: string;
  stderr: string;
}

// Enough of stderr to explain a failure; a hostile repository can make git
// print a great deal, and none of it is worth keeping in memory or a log.
const STDERR_KEEP_CHARS = 4_000;

/** A program that ran and failed; `exitCode` is null when it was killed. */
export class ProcessError extends Error {
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(program: string, exitCode: number | null, stderr: string) {
    const status = exitCode === null ? "was killed" : `exited ${exitCode}`;
    const detail = stderr.trim();
    super(`${program} ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "ProcessError";
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * Runs a program without a shell (arguments are never parsed again, so
 * hostile names stay data) and resolves with its output when it exits 0.
 */
export function runProcess(
  program: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP_CHARS);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        resolve({ stdout: Buffer.concat(stdout).toString("utf8"), stderr });
        return;
      }
      reject(new ProcessError(program, code, stderr));
    });
  });
}

/** Whether an error says the program itself is not installed. */
export function isMissingProgram(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === "ENOENT" &&
    !(error instanceof ProcessError)
  );
}
