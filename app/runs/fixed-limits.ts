const MiB = 1024 * 1024;

// Limits no policy file or command line sets; one place, so a command-line
// run and a GitHub run are held to the same standard.

export const OPEN_FILES = 4096;
export const TMP_BYTES = 256 * MiB;

/** What one push through the door may carry. */
export const PUSH_LIMITS = {
  maxPackBytes: 100 * MiB,
  maxCommits: 100,
  maxFileBytes: 10 * MiB,
} as const;

/** Protected in every run, whatever the policy adds. */
export const ALWAYS_PROTECTED = [".github/workflows/**"];
