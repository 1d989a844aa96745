import {
  isSandboxError,
  type SandboxErrorCode,
} from "../../runner/sandbox/sandbox-error.ts";
import { AppError } from "./app-error.ts";
import type { ErrorCode } from "./catalogue.ts";

// Every code the runner can throw has a catalogue entry; this fails to
// compile when one is added on one side only.
const asAppCode = (code: SandboxErrorCode): ErrorCode => code;

/**
 * The runner throws its own error class (it does not depend on the app);
 * this gives such an error its catalogue entry. Anything else is returned
 * as it is.
 */
export function fromRunnerError(err: unknown): unknown {
  if (!isSandboxError(err)) return err;
  return new AppError(asAppCode(err.code), err.message, { cause: err.cause });
}
