import { describe, expect, it } from "vitest";

import type { EffectivePolicy } from "../../app/policy/merge-policy.ts";
import { buildRunSpec } from "../../app/queue/build-run-spec.ts";
import type { GitHubRun } from "../../app/queue/github-run.ts";

const MiB = 1024 * 1024;

function run(agent: EffectivePolicy["agent"]): GitHubRun {
  const policy = {
    agent,
    limits: { timeoutSeconds: 600, memoryBytes: 1024 * MiB, cpus: 1 },
    protectedPaths: [".github/workflows/**", "infra/**"],
    networkAllow: ["npm"],
  } as unknown as EffectivePolicy;
  return {
    id: "7b0f7c1e-2f7e-4f0a-9d6f-8f3f4a2b1c0d",
    repository: "acme/widgets",
    branch: "agent/issue-7",
    baseSha: "a".repeat(40),
    policy,
  } as GitHubRun;
}

const settings = { pids: 512, workspaceBytes: 2048 * MiB, runtime: undefined };

describe("buildRunSpec", () => {
  it("runs the policy's own command through the command preset", () => {
    const spec = buildRunSpec(
      run({ preset: "command", command: "./fix.sh" }),
      "fix it",
      settings,
    );

    expect(spec).toMatchObject({
      agentCommand: "./fix.sh",
      task: "fix it",
      branch: "agent/issue-7",
      baseRef: "a".repeat(40),
      limits: { timeoutSeconds: 600, memoryBytes: 1024 * MiB, pids: 512 },
      pushPolicy: { protectedPaths: [".github/workflows/**", "infra/**"] },
    });
    expect(spec.egress.allow).toContainEqual({ host: "registry.npmjs.org" });
  });

  it("starts a preset's tool pointed at the door's model broker", () => {
    const spec = buildRunSpec(
      run({ preset: "claude-code", command: undefined }),
      "fix it",
      settings,
    );

    expect(spec.agentCommand).toMatch(/^claude /);
    expect(spec.agentEnv.ANTHROPIC_BASE_URL).toBe(
      "http://127.0.0.1:3128/model/anthropic",
    );
  });

  it("refuses agent settings that cannot start anything", () => {
    expect(() =>
      buildRunSpec(
        run({ preset: "codex", command: "rm -rf /" }),
        "x",
        settings,
      ),
    ).toThrow(/agent settings cannot start a run/);
  });
});
