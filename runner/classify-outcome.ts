import type { FailureReason, Outcome, PushRecord } from "./types.ts";

/** Exit code of the entrypoint when the agent succeeded but its push failed. */
export const EXIT_PUSH_FAILED = 86;

export interface ContainerEnding {
  exitCode: number | null;
  killedBy: "deadline" | "cancel" | "budget" | null;
  oomKilled: boolean;
  pidsLimitHit: boolean;
  workspaceFull: boolean;
}

export interface Classified {
  outcome: Outcome;
  reason: FailureReason | null;
}

/**
 * Turns how the container ended, and what the door saw, into the run's
 * outcome. The order matters: a limit we enforced explains a non-zero exit
 * better than the exit itself, and a run is a success only when the agent
 * exited 0 and every push it made was accepted.
 */
export function classifyOutcome(
  ending: ContainerEnding,
  pushes: readonly PushRecord[],
): Classified {
  if (ending.killedBy === "deadline") {
    return { outcome: "timed_out", reason: "deadline" };
  }
  if (ending.killedBy === "cancel") {
    return { outcome: "cancelled", reason: "cancelled" };
  }
  if (ending.killedBy === "budget") {
    return { outcome: "failed", reason: "budget_exceeded" };
  }
  // A limit explains a failure; it does not turn a clean exit into one (a
  // refused fork the agent recovered from is not a failed run).
  if (ending.exitCode !== 0) {
    if (ending.oomKilled) return { outcome: "failed", reason: "out_of_memory" };
    if (ending.pidsLimitHit) {
      return { outcome: "failed", reason: "process_limit" };
    }
    if (ending.workspaceFull) {
      return { outcome: "failed", reason: "workspace_full" };
    }
  }

  const refused = pushes.filter((push) => !push.accepted);
  if (refused.some((push) => push.reasons.some(isConflict))) {
    return { outcome: "failed", reason: "push_conflict" };
  }
  if (refused.length > 0 || ending.exitCode === EXIT_PUSH_FAILED) {
    return { outcome: "failed", reason: "push_rejected" };
  }
  if (ending.exitCode !== 0) return { outcome: "failed", reason: "agent_exit" };
  return { outcome: "success", reason: null };
}

function isConflict(reason: string): boolean {
  return reason.startsWith("conflict");
}
