import { describe, expect, it } from "vitest";

import {
  MAX_POLICY_BYTES,
  parsePolicyFile,
} from "../../app/policy/parse-policy-file.ts";

const MiB = 1024 * 1024;

function problems(text: string): string[] {
  const parsed = parsePolicyFile(text, "policy.yml");
  return parsed.ok ? [] : parsed.problems;
}

describe("parsePolicyFile", () => {
  it("reads every documented setting", () => {
    const parsed = parsePolicyFile(
      [
        "agent:",
        "  preset: command",
        "  command: ./scripts/agent.sh",
        "limits:",
        "  timeout: 20m",
        "  memory: 1Gi",
        "  cpus: 1.5",
        "trigger:",
        "  minPermission: maintain",
        "protectedPaths:",
        "  - infra/**",
        "network:",
        "  allow: [npm, api.example.com:8443, 10.0.0.0/8]",
        "pullRequests:",
        "  allowForks: true",
      ].join("\n"),
      "policy.yml",
    );
    expect(parsed).toEqual({
      ok: true,
      policy: {
        agent: { preset: "command", command: "./scripts/agent.sh" },
        limits: { timeout: 1200, memory: 1024 * MiB, cpus: 1.5 },
        trigger: { minPermission: "maintain" },
        protectedPaths: ["infra/**"],
        network: { allow: ["npm", "api.example.com:8443", "10.0.0.0/8"] },
        pullRequests: { allowForks: true },
      },
    });
  });

  it("takes plain numbers as seconds and MiB", () => {
    const parsed = parsePolicyFile("limits: { timeout: 90, memory: 512 }", "p");
    expect(parsed).toEqual({
      ok: true,
      policy: { limits: { timeout: 90, memory: 512 * MiB } },
    });
  });

  it("treats an empty file as no settings", () => {
    expect(parsePolicyFile("# nothing yet\n", "p")).toEqual({
      ok: true,
      policy: {},
    });
  });

  const hostile: [string, string, RegExp[]][] = [
    ["not YAML", "agent: [unclosed", [/policy\.yml: not valid YAML/]],
    ["a list at the top", "- a\n- b", [/expected a mapping/]],
    ["a scalar at the top", "just text", [/expected a mapping/]],
    ["an unknown key", "agnet: {}", [/unknown setting `agnet`/]],
    [
      "a nested unknown key",
      "limits: { disk: 1 }",
      [/limits: unknown setting `disk`/],
    ],
    ["duplicate keys", "agent: {}\nagent: {}", [/not valid YAML/]],
    [
      "a bad preset",
      "agent: { preset: gpt }",
      [/agent\.preset: expected one of claude-code, codex, command/],
    ],
    [
      "a zero timeout",
      "limits: { timeout: 0 }",
      [/limits\.timeout: expected a positive duration/],
    ],
    [
      "a timeout with a bad unit",
      "limits: { timeout: 3d }",
      [/limits\.timeout/],
    ],
    ["tiny memory", "limits: { memory: 1Mi }", [/at least 64Mi/]],
    [
      "negative cpus",
      "limits: { cpus: -1 }",
      [/limits\.cpus: expected a number of CPUs above 0/],
    ],
    ["cpus as text", "limits: { cpus: many }", [/limits\.cpus/]],
    [
      "a bad permission",
      "trigger: { minPermission: read }",
      [/expected one of write, maintain, admin/],
    ],
    ["a negated glob", "protectedPaths: ['!src/**']", [/negated globs/]],
    [
      "an allow entry with spaces",
      "network: { allow: ['a b'] }",
      [/network\.allow\.0: expected a preset name or a host without spaces/],
    ],
    [
      "forks as text",
      "pullRequests: { allowForks: 'yes' }",
      [/expected true or false/],
    ],
    [
      "several problems at once",
      "agent: { preset: nope }\nlimits: { cpus: 0 }\nextra: 1",
      [/agent\.preset/, /limits\.cpus/, /unknown setting `extra`/],
    ],
  ];

  it.each(hostile)("reports %s", (_name, text, expected) => {
    const found = problems(text);
    expect(found).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(found[index]).toMatch(pattern));
  });

  it("refuses alias bombs instead of expanding them", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    ].join("\n");
    expect(problems(bomb)).toHaveLength(1);
  });

  it("refuses an oversized file", () => {
    const text = `# ${"x".repeat(MAX_POLICY_BYTES)}`;
    expect(problems(text)).toEqual([expect.stringMatching(/larger than/)]);
  });
});
