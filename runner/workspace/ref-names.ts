import { AppError } from "../../app/errors/app-error.ts";

// The only branches a run may own; the gateway enforces the same prefix.
export const AGENT_BRANCH_PREFIX = "agent/";

// Long enough for any sensible slug, short enough to stay readable in a
// check run and far under git's own path limits.
const MAX_REF_CHARS = 200;

// Abbreviated shas shorter than git's default abbreviation are too likely
// to be ambiguous; 64 covers SHA-256 repositories.
const SHA_PATTERN = /^[0-9a-f]{7,64}$/;

/**
 * Why `name` is not a valid git ref name, or null when it is. Follows the
 * rules of `git check-ref-format`, and also refuses anything outside
 * printable ASCII: branch names reach logs, comments and file names, where
 * look-alike or invisible characters only hide intent.
 */
export function refNameProblem(
  name: string,
  options: { allowOneLevel: boolean },
): string | null {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_REF_CHARS) {
    return `it is longer than ${MAX_REF_CHARS} characters`;
  }
  if (!/^[\x21-\x7e]+$/.test(name)) {
    return "it contains a space, a control or a non-ASCII character";
  }
  const forbidden = /[~^:?*[\\]/.exec(name);
  if (forbidden) return `it contains "${forbidden[0]}"`;
  if (name.includes("..")) return 'it contains ".."';
  if (name.includes("@{")) return 'it contains "@{"';
  if (name === "@") return 'it is "@"';
  if (name.startsWith("/") || name.endsWith("/")) {
    return 'it starts or ends with "/"';
  }
  if (name.endsWith(".")) return 'it ends with "."';

  const components = name.split("/");
  if (components.some((part) => part === "")) return 'it contains "//"';
  if (components.some((part) => part.startsWith("."))) {
    return 'a part of it starts with "."';
  }
  if (components.some((part) => part.endsWith(".lock"))) {
    return 'a part of it ends with ".lock"';
  }
  if (!options.allowOneLevel && components.length < 2) {
    return 'it has no "/"';
  }
  return null;
}

/**
 * Checks the run's scoped branch (without `refs/heads/`) and returns it.
 * @throws AppError BRANCH_NAME_INVALID
 */
export function validateAgentBranch(branch: string): string {
  const problem = refNameProblem(branch, { allowOneLevel: false });
  if (problem) {
    throw new AppError(
      "BRANCH_NAME_INVALID",
      `The branch name ${JSON.stringify(branch)} is not valid: ${problem}.`,
    );
  }
  const slug = branch.slice(AGENT_BRANCH_PREFIX.length);
  if (!branch.startsWith(AGENT_BRANCH_PREFIX) || slug.length === 0) {
    throw new AppError(
      "BRANCH_NAME_INVALID",
      `The branch name ${JSON.stringify(branch)} does not start with "${AGENT_BRANCH_PREFIX}" followed by a name.`,
    );
  }
  return branch;
}

/** Whether `ref` is written as a (possibly abbreviated) commit sha. */
export function looksLikeSha(ref: string): boolean {
  return SHA_PATTERN.test(ref);
}

/**
 * Checks a base ref: a commit sha, a branch or tag name, a full
 * `refs/...` name or `HEAD`. Returns it unchanged.
 * @throws AppError BASE_REF_INVALID
 */
export function validateBaseRef(ref: string): string {
  if (looksLikeSha(ref)) return ref;
  const problem = refNameProblem(ref, { allowOneLevel: true });
  if (problem) {
    throw new AppError(
      "BASE_REF_INVALID",
      `The base ${JSON.stringify(ref)} is neither a commit sha nor a valid ref name: ${problem}.`,
    );
  }
  if (ref.startsWith("-")) {
    throw new AppError(
      "BASE_REF_INVALID",
      `The base ${JSON.stringify(ref)} starts with "-", which git would read as an option.`,
    );
  }
  return ref;
}
