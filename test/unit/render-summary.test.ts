import { describe, expect, it } from "vitest";

import {
  CHECK_TEXT_LIMIT,
  conclusionOf,
  renderSummary,
} from "../../app/github/render-summary.ts";
import {
  codeBlock,
  inlineCode,
  plainText,
} from "../../app/github/render-safe.ts";
import type { GitHubRun } from "../../app/queue/github-run.ts";
import type { RunResult } from "../../runner/types.ts";

const MiB = 1024 * 1024;

const run: GitHubRun = {
  id: "3f1c0d2e-0000-4000-8000-000000000001",
  state: "finished",
  deliveryId: "d1",
  installationId: 1,
  repository: "acme/widgets",
  owner: "acme",
  repo: "widgets",
  subjectKind: "issue",
  subjectNumber: 12,
  requester: "alice",
  requesterId: 7,
  requesterPermission: "write",
  command: "/agent fix @everyone please",
  triggerComment: null,
  baseBranch: "main",
  targetBranch: "main",
  branch: "agent/issue-12",
  baseSha: "a".repeat(40),
  policy: {
    agent: { preset: "command", command: "./fix.sh" },
    limits: { timeoutSeconds: 600, memoryBytes: 1024 * MiB, cpus: 1 },
    minPermission: "write",
    protectedPaths: [".github/workflows/**"],
    networkAllow: ["npm"],
    allowForks: false,
    sources: ["repository"],
  },
  checkRunId: 5,
  checkRunUrl: "http://example.test/checks/5",
  progressCommentId: 6,
  prNumber: null,
  prUrl: null,
  cancelRequested: false,
  cancelledBy: null,
  leaseToken: 1,
  outcome: null,
  reason: null,
  createdAt: new Date(0),
};

function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    runId: run.id,
    outcome: "success",
    reason: null,
    exitCode: 0,
    branch: run.branch,
    baseSha: run.baseSha,
    headSha: "b".repeat(40),
    pushes: [],
    egress: [],
    usage: [],
    limits: {
      timeoutSeconds: 600,
      memoryBytes: 1024 * MiB,
      cpus: 1,
      pids: 512,
      openFiles: 4096,
      workspaceBytes: 2048 * MiB,
      tmpBytes: 256 * MiB,
    },
    image: "sha256:1234",
    timings: { prepareMs: 1, startMs: 2, agentMs: 3, totalMs: 6 },
    peakMemoryBytes: 50 * MiB,
    log: "done\n",
    ...overrides,
  };
}

const render = (
  r: RunResult | null,
  finish = { outcome: "success" as const, reason: null },
) =>
  renderSummary({
    run,
    finish,
    result: r,
    auditHead: "f".repeat(64),
    timeline: [{ kind: "requested", at: new Date(0) }],
    pullUrl: null,
  });

// Text outside code spans and blocks, where GitHub would render markup and
// turn mentions and references into notifications and links.
function outsideCode(markdown: string): string {
  return markdown
    .replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "")
    .replace(/`[^`\n]*`/g, "");
}

describe("renderSummary", () => {
  it("records who asked, the command, policy, limits, pushes, egress and the audit head", () => {
    const output = render(
      result({
        pushes: [
          {
            ref: "refs/heads/agent/issue-12",
            oldSha: "0".repeat(40),
            newSha: "b".repeat(40),
            accepted: true,
            reasons: [],
            filesChanged: ["src/a.ts"],
            commits: 1,
          },
        ],
        egress: [
          {
            host: "registry.npmjs.org",
            port: 443,
            method: "CONNECT",
            allowed: true,
            reason: "",
            bytesOut: 10,
            bytesIn: 20,
          },
        ],
        usage: [{ provider: "anthropic", inputTokens: 120, outputTokens: 45 }],
      }),
    );
    expect(output.title).toBe("The agent finished");
    expect(output.summary).toContain(
      "`anthropic`: 120 input tokens, 45 output tokens",
    );
    expect(output.summary).toContain(
      "Requested by: @alice (permission: write)",
    );
    expect(output.summary).toContain("`/agent fix @everyone please`");
    expect(output.summary).toContain("minimum permission write");
    expect(output.summary).toContain("600s, 1024 MiB memory, 1 CPU");
    expect(output.summary).toContain("accepted");
    expect(output.summary).toContain("`registry.npmjs.org:443`");
    expect(output.summary).toContain("`src/a.ts`");
    expect(output.summary).toContain(`\`${"f".repeat(64)}\``);
    expect(output.text).toContain("`requested`");
  });

  it("keeps hostile agent output inert", () => {
    const hostile = [
      "@octocat @acme/admins see #1 and acme/other#2 GH-3",
      "```",
      "</details><img src=x onerror=alert(1)>",
      "[click](javascript:alert(1))",
      "\u202eevil\u200b",
    ].join("\n");
    const output = render(
      result({
        outcome: "failed",
        reason: "push_rejected",
        log: hostile,
        pushes: [
          {
            ref: "refs/heads/agent/issue-12`@evil",
            oldSha: "0".repeat(40),
            newSha: "c".repeat(40),
            accepted: false,
            reasons: ["touches @ops #9 <b>x</b>"],
            filesChanged: ["a`@b.txt\n# heading"],
            commits: 1,
          },
        ],
      }),
      { outcome: "failed", reason: "push_rejected" } as never,
    );

    const visible = outsideCode(`${output.summary}\n${output.text}`);
    expect(visible).not.toMatch(/@(octocat|evil|ops|acme)\b/);
    expect(visible).not.toMatch(/(^|\s)#\d/);
    expect(visible).not.toMatch(/<img|<b>|<\/details>/);
    expect(output.text).not.toMatch(/[\u202e\u200b]/);
    // The log sits in a block whose fence its own backticks cannot close.
    expect(output.text).toMatch(/````text\n[\s\S]*```\n[\s\S]*\n````$/);
  });

  it("stays within GitHub's limits whatever the log size", () => {
    const output = render(
      result({
        log: `${"x".repeat(200_000)}\nTHE END`,
        egress: Array.from({ length: 5_000 }, (_, i) => ({
          host: `h${i}.example.com`,
          port: 443,
          method: "CONNECT",
          allowed: false,
          reason: "not allowed",
          bytesOut: 0,
          bytesIn: 0,
        })),
      }),
    );
    expect(output.summary.length).toBeLessThan(CHECK_TEXT_LIMIT);
    expect(output.text!.length).toBeLessThan(CHECK_TEXT_LIMIT);
    expect(output.text).toContain("THE END");
    expect(output.summary).toContain("and 4950 more");
  });

  it("renders a run that never reached the sandbox", () => {
    const output = render(null, {
      outcome: "failed",
      reason: "infrastructure",
    } as never);
    expect(output.summary).toContain("No push.");
    expect(output.summary).toContain("Image: not started");
    expect(output.text).toContain("(no output)");
  });
});

describe("conclusionOf", () => {
  it.each([
    ["success", null, "success"],
    ["failed", "agent_exit", "failure"],
    ["failed", "push_rejected", "action_required"],
    ["timed_out", "deadline", "timed_out"],
    ["cancelled", "cancelled", "cancelled"],
  ] as const)("maps %s/%s to %s", (outcome, reason, conclusion) => {
    expect(conclusionOf({ outcome, reason })).toBe(conclusion);
  });
});

describe("render-safe helpers", () => {
  it("never lets content close its code block", () => {
    const block = codeBlock("a\n```\nb\n`````````````````````` c");
    const fence = block.split("\n")[0]!.replace("text", "");
    expect(fence.length).toBeGreaterThan(9);
    expect(block.endsWith(`\n${fence}`)).toBe(true);
    expect(block.slice(fence.length, -fence.length)).not.toContain(fence);
  });

  it("keeps inline code on one line without backticks", () => {
    expect(inlineCode("a`b\nc")).toBe("`a'b c`");
    expect(inlineCode("x".repeat(300), 10)).toBe(`\`${"x".repeat(10)}…\``);
  });

  it("breaks mentions and references in prose", () => {
    const text = plainText("@alice #12 <b>*x*</b>");
    expect(text).not.toMatch(/@alice|#12|<b>/);
  });
});
