import { catalogue, type ErrorCode } from "./catalogue.ts";

/**
 * An error from the catalogue: `message` says what was found in this case,
 * the catalogue adds why it matters and what to do. The original error, when
 * there is one, is kept as `cause`.
 */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
  }

  get exitCode(): number {
    return catalogue[this.code].exitCode;
  }

  /** The full text for a person: what, then why and what to do. */
  explain(): string {
    const entry = catalogue[this.code];
    const cause =
      this.cause instanceof Error ? `\ncause: ${this.cause.message}` : "";
    return `${this.message}${cause}\n${entry.summary} ${entry.remedy} [${this.code}]`;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
