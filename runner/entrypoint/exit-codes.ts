// Exit codes of the entrypoint beyond the agent's own. The agent's non-zero
// code is passed through unchanged, so these sit in the range shells leave
// unused (below 126, where "cannot execute" and signals begin).

/** The agent exited 0 but its work could not be committed or pushed. */
export const EXIT_PUSH_FAILED = 86;
/** The sandbox was started without what the entrypoint needs. */
export const EXIT_SETUP_FAILED = 87;
/** Shells report death by signal N as 128 + N. */
export const SIGNAL_EXIT_BASE = 128;
