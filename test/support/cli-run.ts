import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** The command-line entry point, started as an operator would start it. */
export const CLI_BIN = path.resolve("bin/agent-sandbox.js");

// A run's JSON result carries the agent's log, which can pass the default
// 1 MiB output cap of execFile.
const OUTPUT_LIMIT = 16 * 1024 * 1024;

export interface CliEnvOptions {
  databaseUrl: string;
  dataDir: string;
  /** Labels the run's containers; a fresh random one when left out. */
  instance?: string;
  logLevel?: string;
  /** Further variables, such as a provider's key. */
  extra?: Record<string, string>;
}

/**
 * The whole environment of a command-line run. Nothing else is taken from
 * the host but PATH and, when the host names one, the runner's base image
 * (so a machine without a registry can point at one it has loaded).
 */
export function cliEnv(options: CliEnvOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: options.databaseUrl,
    AGENT_SANDBOX_DATA_DIR: options.dataDir,
    AGENT_SANDBOX_INSTANCE:
      options.instance ?? `test-${randomBytes(4).toString("hex")}`,
    LOG_LEVEL: options.logLevel ?? "warn",
    ...options.extra,
    ...(process.env.RUNNER_BASE_IMAGE && {
      RUNNER_BASE_IMAGE: process.env.RUNNER_BASE_IMAGE,
    }),
  };
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `agent-sandbox <args>` to its end; a non-zero exit is an outcome. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [CLI_BIN, ...args],
      {
        env,
        maxBuffer: OUTPUT_LIMIT,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as Partial<CliOutcome> & { code?: unknown };
    // A spawn failure (no such file) has a string code and no output.
    if (typeof failed.code !== "number") throw err;
    return {
      code: failed.code,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}
