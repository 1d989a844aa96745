import { describe, expect, it } from "vitest";

import {
  agentPreset,
  PLACEHOLDER_API_KEY,
} from "../../runner/presets/agent-presets.ts";

describe("agentPreset", () => {
  it("starts Claude Code non-interactively against the door's broker", () => {
    const result = agentPreset("claude-code");
    if (!result.ok) throw new Error(result.error);
    expect(result.launch.command).toBe(
      'claude -p "$(cat "$AGENT_TASK_FILE")" --dangerously-skip-permissions',
    );
    expect(result.launch.agentEnv).toMatchObject({
      ANTHROPIC_BASE_URL: "http://127.0.0.1:3128/model/anthropic",
      ANTHROPIC_API_KEY: PLACEHOLDER_API_KEY,
    });
  });

  it("starts Codex with a provider that points at the broker", () => {
    const result = agentPreset("codex", { model: "gpt-5" });
    if (!result.ok) throw new Error(result.error);
    expect(result.launch.command).toMatch(/^codex exec --skip-git-repo-check /);
    expect(result.launch.command).toContain(
      'base_url="http://127.0.0.1:3128/model/openai/v1"',
    );
    expect(result.launch.command).toContain("--model gpt-5 ");
    expect(result.launch.agentEnv.OPENAI_API_KEY).toBe(PLACEHOLDER_API_KEY);
  });

  it("runs a custom command with both brokers' variables", () => {
    const result = agentPreset("command", { command: "make fix" });
    if (!result.ok) throw new Error(result.error);
    expect(result.launch.command).toBe("make fix");
    expect(Object.keys(result.launch.agentEnv)).toEqual(
      expect.arrayContaining(["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"]),
    );
  });

  it.each([
    [
      "aider",
      {},
      /unknown agent preset "aider"; use one of claude-code, codex, command/,
    ],
    ["command", {}, /needs the shell command/],
    ["codex", { command: "rm -rf /" }, /runs its own command/],
    ["claude-code", { model: "x; curl evil" }, /not a plain model name/],
  ])("refuses %s %j", (name, options, error) => {
    const result = agentPreset(name, options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });

  it("puts no secret in the environment it builds", () => {
    for (const name of ["claude-code", "codex"]) {
      const result = agentPreset(name);
      if (!result.ok) throw new Error(result.error);
      for (const [key, value] of Object.entries(result.launch.agentEnv)) {
        if (key.endsWith("_KEY")) expect(value).toBe(PLACEHOLDER_API_KEY);
      }
    }
  });
});
