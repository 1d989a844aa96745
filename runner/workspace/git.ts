import { gitEnvironment } from "../git-environment.ts";
import { ProcessError, runProcess, type ProcessOutput } from "./run-process.ts";

export interface GitOptions {
  /** Directory to run in (`git -C`). */
  cwd?: string;
  /** Per-call configuration such as an authorization header. */
  config?: Record<string, string>;
}

/**
 * Runs git in the host's hardened git environment (runner/git-environment.ts)
 * and hides the per-call secrets from any error it raises.
 */
export async function git(
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  const env = gitEnvironment(options.config ? { config: options.config } : {});
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
