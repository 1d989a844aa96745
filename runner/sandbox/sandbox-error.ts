// `runner/` cannot depend on the app's error class, so it throws these and
// the app turns them into `AppError`s with the same code. Each code has an
// entry in `app/errors/catalogue.ts` that says why it matters and what to do.
export type SandboxErrorCode =
  | "SANDBOX_SPEC_REFUSED"
  | "RUNNER_IMAGE_BUILD_FAILED"
  | "RUNNER_BASE_BOOTSTRAP_FAILED"
  | "DOCKER_UNREACHABLE"
  | "RUNTIME_UNUSABLE";

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;

  constructor(
    code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SandboxError";
    this.code = code;
  }
}

export function isSandboxError(error: unknown): error is SandboxError {
  return error instanceof SandboxError;
}
