import { ProcessError, runProcess, type ProcessOutput } from "./run-process.ts";

// Settings every git call of ours carries. Hooks are switched off because
// the host must never run code that arrived with a repository, and because
// even the mirror runs `reference-transaction` hooks during a fetch.
const ALWAYS: Record<string, string> = {
  "core.hooksPath": "/dev/null",
};

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface GitOptions {
  /** Directory to run in (`git -C`). */
  cwd?: string;
  /** Per-call configuration such as an authorization header. */
  config?: Record<string, string>;
}

/**
 * Runs git with an environment built from scratch: no system or user config
 * (so no credential helpers, filters or aliases of the host leak in), no
 * terminal prompts, and stable English messages.
 *
 * Per-call configuration travels in `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n` rather than `-c` arguments: both keep credentials off
 * the disk, but the environment of a process is readable only by its owner
 * while its command line is visible to every local user through `ps`.
 */
export async function git(
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  const config = { ...ALWAYS, ...options.config };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? DEFAULT_PATH,
    HOME: "/nonexistent",
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_COUNT: String(Object.keys(config).length),
  };
  Object.entries(config).forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  const cwdArgs = options.cwd ? ["-C", options.cwd] : [];

  let output: ProcessOutput;
  try {
    output = await runProcess("git", [...cwdArgs, ...args], { env });
  } catch (error) {
    throw redactError(error, secretsOf(options.config ?? {}));
  }
  return output.stdout;
}

// Values shorter than this are not worth hiding (`true`, `0`) and hiding
// them would mangle ordinary words in the message. A header value such as
// `Authorization: Basic <token>` is also hidden word by word, because git
// may echo the token without the words around it; a token is never short.
const MIN_SECRET_CHARS = 6;
const MIN_TOKEN_CHARS = 16;

function secretsOf(config: Record<string, string>): string[] {
  return Object.values(config)
    .flatMap((value) => [
      value,
      ...value.split(/\s+/).filter((word) => word.length >= MIN_TOKEN_CHARS),
    ])
    .filter((value) => value.length >= MIN_SECRET_CHARS)
    .sort((a, b) => b.length - a.length);
}

/** A git command that failed; `exitCode` is null when it was killed. */
export class GitError extends Error {
  readonly exitCode: number | null;

  constructor(message: string, exitCode: number | null) {
    super(message);
    this.name = "GitError";
    this.exitCode = exitCode;
  }
}

/**
 * A git failure with per-call config values and the user part of URLs
 * removed, so a token never reaches a log line through an error.
 */
function redactError(error: unknown, secrets: string[]): unknown {
  if (!(error instanceof ProcessError)) return error;
  let message = error.message.replace(/:\/\/[^/@\s]+@/g, "://[redacted]@");
  for (const secret of secrets) {
    message = message.split(secret).join("[redacted]");
  }
  return new GitError(message, error.exitCode);
}
