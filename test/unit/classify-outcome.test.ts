import { describe, expect, it } from "vitest";

import {
  classifyOutcome,
  EXIT_PUSH_FAILED,
  type ContainerEnding,
} from "../../runner/classify-outcome.ts";
import type { PushRecord } from "../../runner/types.ts";

const clean: ContainerEnding = {
  exitCode: 0,
  killedBy: null,
  oomKilled: false,
  pidsLimitHit: false,
  workspaceFull: false,
};

function push(accepted: boolean, reasons: string[] = []): PushRecord {
  return {
    ref: "refs/heads/agent/x",
    oldSha: "0".repeat(40),
    newSha: "a".repeat(40),
    accepted,
    reasons,
    filesChanged: [],
    commits: 1,
  };
}

describe("classifyOutcome", () => {
  it.each([
    ["a clean exit with nothing pushed", clean, [], "success", null],
    [
      "a clean exit with an accepted push",
      clean,
      [push(true)],
      "success",
      null,
    ],
    [
      "the deadline",
      { ...clean, exitCode: 137, killedBy: "deadline" },
      [],
      "timed_out",
      "deadline",
    ],
    [
      "a cancel",
      { ...clean, exitCode: 137, killedBy: "cancel" },
      [push(true)],
      "cancelled",
      "cancelled",
    ],
    [
      "the token budget",
      { ...clean, exitCode: 137, killedBy: "budget" },
      [],
      "failed",
      "budget_exceeded",
    ],
    [
      "the memory limit",
      { ...clean, exitCode: 137, oomKilled: true },
      [],
      "failed",
      "out_of_memory",
    ],
    [
      "the process limit",
      { ...clean, exitCode: 1, pidsLimitHit: true },
      [],
      "failed",
      "process_limit",
    ],
    [
      "a full workspace",
      { ...clean, exitCode: 1, workspaceFull: true },
      [],
      "failed",
      "workspace_full",
    ],
    [
      "a rejected push",
      { ...clean, exitCode: EXIT_PUSH_FAILED },
      [push(false, ["protected path .github/workflows/ci.yml"])],
      "failed",
      "push_rejected",
    ],
    [
      "a push that lost a race upstream",
      { ...clean, exitCode: EXIT_PUSH_FAILED },
      [push(false, ["conflict: upstream moved"])],
      "failed",
      "push_conflict",
    ],
    [
      "a push that never reached the door",
      { ...clean, exitCode: EXIT_PUSH_FAILED },
      [],
      "failed",
      "push_rejected",
    ],
    [
      "a non-zero agent exit",
      { ...clean, exitCode: 3 },
      [],
      "failed",
      "agent_exit",
    ],
  ] as const)("%s", (_name, ending, pushes, outcome, reason) => {
    expect(classifyOutcome(ending, pushes)).toEqual({ outcome, reason });
  });

  it("does not fail a clean exit because a limit was touched on the way", () => {
    expect(
      classifyOutcome({ ...clean, pidsLimitHit: true, workspaceFull: true }, [
        push(true),
      ]),
    ).toEqual({ outcome: "success", reason: null });
  });

  it("is not fooled by an agent that exits 0 after a refused push", () => {
    expect(classifyOutcome(clean, [push(true), push(false, ["tag"])])).toEqual({
      outcome: "failed",
      reason: "push_rejected",
    });
  });
});
