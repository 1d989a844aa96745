import { describe, expect, it } from "vitest";

import {
  ALWAYS_PROTECTED,
  mergePolicy,
  type OperatorSettings,
} from "../../app/policy/merge-policy.ts";
import type { PolicyFile } from "../../app/policy/policy-schema.ts";

const MiB = 1024 * 1024;

const operator: OperatorSettings = {
  defaults: {
    timeoutSeconds: 1800,
    memoryBytes: 2048 * MiB,
    cpus: 1,
    pids: 512,
    workspaceBytes: 2048 * MiB,
  },
  ceilings: {
    timeoutSeconds: 3 * 3600,
    memoryBytes: 8192 * MiB,
    cpus: 4,
    workspaceBytes: 8192 * MiB,
  },
  minPermission: "write",
};

const agent: PolicyFile = { agent: { command: "make fix" } };

function problemsOf(org: PolicyFile | undefined, repo: PolicyFile) {
  const merged = mergePolicy(operator, org, repo);
  return merged.ok ? [] : merged.problems;
}

describe("mergePolicy", () => {
  it("uses the operator's defaults when no file says otherwise", () => {
    const merged = mergePolicy(operator, undefined, agent);
    expect(merged).toMatchObject({
      ok: true,
      policy: {
        agent: { preset: "command", command: "make fix" },
        limits: { timeoutSeconds: 1800, memoryBytes: 2048 * MiB, cpus: 1 },
        minPermission: "write",
        protectedPaths: ALWAYS_PROTECTED,
        networkAllow: [],
        allowForks: false,
        sources: ["repository"],
      },
    });
  });

  it("lets a repository tighten the organisation's limits", () => {
    const merged = mergePolicy(
      operator,
      { limits: { timeout: 600 } },
      { ...agent, limits: { timeout: 300, memory: 512 * MiB, cpus: 0.5 } },
    );
    expect(merged.ok && merged.policy.limits).toEqual({
      timeoutSeconds: 300,
      memoryBytes: 512 * MiB,
      cpus: 0.5,
    });
  });

  it("refuses a repository loosening an organisation ceiling", () => {
    const problems = problemsOf(
      { limits: { timeout: 600, cpus: 1 } },
      { ...agent, limits: { timeout: 3600, cpus: 2 } },
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /limits\.timeout \(3600s\) is above the ceiling of 600s set by the organisation/,
      ),
      expect.stringMatching(
        /limits\.cpus \(2\) is above the ceiling of 1 set by the organisation/,
      ),
    ]);
  });

  it("refuses limits above the operator's ceilings", () => {
    const problems = problemsOf(
      { limits: { memory: 16384 * MiB } },
      { ...agent, limits: { timeout: 24 * 3600 } },
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /repository policy: limits\.timeout .* set by the operator/,
      ),
      expect.stringMatching(/organisation policy: limits\.memory/),
    ]);
  });

  it("raises the trigger permission and never lowers it", () => {
    const raised = mergePolicy(
      { ...operator, minPermission: "maintain" },
      undefined,
      { ...agent, trigger: { minPermission: "write" } },
    );
    expect(raised.ok && raised.policy.minPermission).toBe("maintain");

    const byRepo = mergePolicy(operator, undefined, {
      ...agent,
      trigger: { minPermission: "admin" },
    });
    expect(byRepo.ok && byRepo.policy.minPermission).toBe("admin");

    expect(
      problemsOf(
        { trigger: { minPermission: "admin" } },
        { ...agent, trigger: { minPermission: "write" } },
      ),
    ).toEqual([expect.stringMatching(/minPermission cannot be lower/)]);
  });

  it("only adds protected paths", () => {
    const merged = mergePolicy(
      operator,
      { protectedPaths: ["infra/**"] },
      { ...agent, protectedPaths: ["secrets/**", "infra/**"] },
    );
    expect(merged.ok && merged.policy.protectedPaths).toEqual([
      ...ALWAYS_PROTECTED,
      "infra/**",
      "secrets/**",
    ]);
  });

  it("keeps a repository's network allow-list within the organisation's", () => {
    expect(
      problemsOf(
        { network: { allow: ["npm", "pypi"] } },
        { ...agent, network: { allow: ["npm", "evil.example.com"] } },
      ),
    ).toEqual([expect.stringMatching(/"evil\.example\.com" is not in/)]);

    const inherited = mergePolicy(
      operator,
      { network: { allow: ["npm"] } },
      agent,
    );
    expect(inherited.ok && inherited.policy.networkAllow).toEqual(["npm"]);

    const narrowed = mergePolicy(
      operator,
      { network: { allow: ["npm", "pypi"] } },
      { ...agent, network: { allow: ["pypi"] } },
    );
    expect(narrowed.ok && narrowed.policy.networkAllow).toEqual(["pypi"]);
  });

  it("checks each allow-list entry the way the door reads it", () => {
    const problems = problemsOf(undefined, {
      ...agent,
      network: { allow: ["npm", "https://evil.example/", "localhost"] },
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/repository policy: network\.allow\[1\]/);
    expect(problems[1]).toMatch(/network\.allow\[2\].*not a preset/);
  });

  it("refuses forks allowed by a repository when the organisation forbids them", () => {
    expect(
      problemsOf(
        { pullRequests: { allowForks: false } },
        { ...agent, pullRequests: { allowForks: true } },
      ),
    ).toEqual([expect.stringMatching(/allowForks cannot be true/)]);
  });

  it("needs an agent to run", () => {
    expect(problemsOf(undefined, {})).toEqual([
      expect.stringMatching(/agent\.command is not set/),
    ]);
    expect(
      problemsOf(undefined, {
        agent: { preset: "claude-code", command: "rm -rf /" },
      }),
    ).toEqual([
      expect.stringMatching(/used only with agent\.preset "command"/),
    ]);
    const preset = mergePolicy(operator, { agent: { preset: "codex" } }, {});
    expect(preset.ok && preset.policy.agent).toEqual({
      preset: "codex",
      command: undefined,
    });
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(
      { limits: { cpus: 1 }, pullRequests: { allowForks: false } },
      { limits: { cpus: 3 }, pullRequests: { allowForks: true } },
    );
    expect(problems).toHaveLength(3);
  });
});
