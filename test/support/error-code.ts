import { isAppError } from "../../app/errors/app-error.ts";

/**
 * How a promise settled, as one string to compare: the catalogue code of
 * an AppError, the text of any other error, or `fulfilled` when it did not
 * fail.
 */
export async function settledCode(
  promise: Promise<unknown>,
  fulfilled = "no error",
): Promise<string> {
  try {
    await promise;
    return fulfilled;
  } catch (error) {
    return isAppError(error) ? error.code : String(error);
  }
}
