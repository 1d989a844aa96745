import { createHash } from "node:crypto";

import { AppError } from "../../app/errors/app-error.ts";

// Long enough to recognise the repository when listing the cache folder,
// short enough to stay well under file name limits with the suffixes.
const MAX_READABLE_CHARS = 80;
const MAX_NAME_CHARS = 1_000;
const HASH_CHARS = 16;

/**
 * The directory name (without `.git`) of a repository's mirror in the cache.
 *
 * Repository names are hostile input. The name keeps only letters, digits,
 * `.`, `_` and `-` from the original (every other character becomes `_`),
 * never starts with `.`, and ends with a hash of the exact original name, so
 * that two different names never share a mirror and no name can climb out of
 * the cache folder or land on a reserved file.
 *
 * @throws AppError REPOSITORY_NAME_INVALID for empty, overlong or
 * control-character names.
 */
export function cacheName(repository: string): string {
  if (repository.length === 0 || repository.length > MAX_NAME_CHARS) {
    throw new AppError(
      "REPOSITORY_NAME_INVALID",
      `The repository name is empty or longer than ${MAX_NAME_CHARS} characters.`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(repository)) {
    throw new AppError(
      "REPOSITORY_NAME_INVALID",
      `The repository name ${JSON.stringify(repository)} contains control characters.`,
    );
  }

  const readable = repository
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^[.]+/, "_")
    .slice(0, MAX_READABLE_CHARS);
  const hash = createHash("sha256")
    .update(repository, "utf8")
    .digest("hex")
    .slice(0, HASH_CHARS);
  return `${readable}-${hash}`;
}
