import type { RunResult } from "../../runner/types.ts";
import type { GitHubRun } from "../queue/github-run.ts";
import type { CheckConclusion, CheckRunOutput } from "./github-client.ts";
import {
  codeBlock,
  headAndTail,
  inlineCode,
  plainText,
  tail,
} from "./render-safe.ts";

// GitHub refuses a check run whose output summary or text is longer than
// 65,535 characters; we stay under it with room to spare for the wrappers.
// https://docs.github.com/en/rest/checks/runs#create-a-check-run
export const CHECK_TEXT_LIMIT = 65_535;
const BUDGET = CHECK_TEXT_LIMIT - 1_000;
const TITLE_LIMIT = 250;
const MAX_LISTED = 50;
const MiB = 1024 * 1024;

export interface Finish {
  outcome: RunResult["outcome"];
  reason: string | null;
  /** Why a run that never reached the sandbox ended; shown as given. */
  detail?: string;
}

export interface SummaryInput {
  run: GitHubRun;
  finish: Finish;
  result: RunResult | null;
  auditHead: string;
  timeline: { kind: string; at: Date }[];
  pullUrl: string | null;
}

export function conclusionOf(finish: Finish): CheckConclusion {
  if (finish.outcome === "success") return "success";
  if (finish.outcome === "timed_out") return "timed_out";
  if (finish.outcome === "cancelled") return "cancelled";
  if (finish.reason === "push_rejected") return "action_required";
  return "failure";
}

export function headline(finish: Finish): string {
  switch (conclusionOf(finish)) {
    case "success":
      return "The agent finished";
    case "timed_out":
      return "The run hit its time limit";
    case "cancelled":
      return "The run was cancelled";
    case "action_required":
      return "Policy rejected the agent's push";
    default:
      return `The run failed${finish.reason ? ` (${finish.reason})` : ""}`;
  }
}

/** The check run's output: the audit record of one run, within limits. */
export function renderSummary(input: SummaryInput): CheckRunOutput {
  const summary = headAndTail(summaryText(input), BUDGET);
  const text = detailText(input);
  return {
    title: headline(input.finish).slice(0, TITLE_LIMIT),
    summary,
    text,
  };
}

function summaryText({
  run,
  finish,
  result,
  auditHead,
  pullUrl,
}: SummaryInput) {
  const limits = result?.limits;
  const lines = [
    `**${headline(finish)}.**${pullUrl ? ` Draft pull request: ${pullUrl}` : ""}`,
    "",
    `- Requested by: @${run.requester} (permission: ${run.requesterPermission})`,
    `- Command: ${inlineCode(run.command)}`,
    `- Branch: ${inlineCode(run.branch)} from ${inlineCode(run.baseBranch)} at ${inlineCode(run.baseSha.slice(0, 12))}`,
    `- Outcome: ${finish.outcome}${finish.reason ? ` (${finish.reason})` : ""}`,
    ...(finish.detail ? [`- Detail: ${plainText(finish.detail)}`] : []),
    `- Agent exit code: ${result?.exitCode ?? "none"}`,
    `- Policy: ${policyLine(run)}`,
    `- Image: ${result?.image ? inlineCode(result.image) : "not started"}`,
    limits
      ? `- Limits: ${limits.timeoutSeconds}s, ${Math.round(limits.memoryBytes / MiB)} MiB memory, ${limits.cpus} CPU, ${limits.pids} processes, ${Math.round(limits.workspaceBytes / MiB)} MiB workspace`
      : `- Limits: ${run.policy.limits.timeoutSeconds}s, ${Math.round(run.policy.limits.memoryBytes / MiB)} MiB memory, ${run.policy.limits.cpus} CPU`,
    ...(result?.peakMemoryBytes
      ? [`- Peak memory: ${Math.round(result.peakMemoryBytes / MiB)} MiB`]
      : []),
    "",
    "### Pushes",
    ...pushLines(result),
    "",
    "### Egress",
    ...egressLines(result),
    "",
    "### Model usage",
    ...usageLines(result),
    "",
    "### Files changed",
    ...fileLines(result),
    "",
    `Audit chain head: ${inlineCode(auditHead || "none")} (run ${inlineCode(run.id)}; verify with \`agent-sandbox audit verify ${run.id}\`)`,
  ];
  return lines.join("\n");
}

function policyLine(run: GitHubRun): string {
  const policy = run.policy;
  const agent =
    policy.agent.preset === "command"
      ? `command ${inlineCode(policy.agent.command ?? "")}`
      : `preset ${policy.agent.preset}`;
  const network = policy.networkAllow.length
    ? policy.networkAllow.map((entry) => inlineCode(entry)).join(", ")
    : "none";
  const sources = policy.sources.length
    ? policy.sources.join(" and ") + " files"
    : "defaults only";
  return `${agent}; minimum permission ${policy.minPermission}; protected ${policy.protectedPaths.map((p) => inlineCode(p)).join(", ")}; network ${network}; forks ${policy.allowForks ? "allowed" : "refused"} (${sources})`;
}

function pushLines(result: RunResult | null): string[] {
  if (!result || result.pushes.length === 0) return ["No push."];
  return listed(result.pushes, (push) => {
    const verdict = push.accepted
      ? "accepted"
      : `rejected: ${push.reasons.map((reason) => plainText(reason, 300)).join("; ")}`;
    return `- ${inlineCode(push.ref)} ${inlineCode(push.oldSha.slice(0, 12))} → ${inlineCode(push.newSha.slice(0, 12))}, ${push.commits} commit(s), ${verdict}`;
  });
}

function egressLines(result: RunResult | null): string[] {
  if (!result || result.egress.length === 0) return ["No egress attempt."];
  return listed(
    result.egress,
    (attempt) =>
      `- ${attempt.allowed ? "allowed" : "denied"} ${inlineCode(attempt.method)} ${inlineCode(`${attempt.host}:${attempt.port}`)}, ${attempt.bytesOut} B out, ${attempt.bytesIn} B in${attempt.reason ? ` (${plainText(attempt.reason, 200)})` : ""}`,
  );
}

function usageLines(result: RunResult | null): string[] {
  if (!result || result.usage.length === 0) return ["No model call."];
  return listed(
    result.usage,
    (usage) =>
      `- ${inlineCode(usage.provider, 40)}: ${usage.inputTokens} input tokens, ${usage.outputTokens} output tokens`,
  );
}

function fileLines(result: RunResult | null): string[] {
  const files = [
    ...new Set(
      (result?.pushes ?? [])
        .filter((push) => push.accepted)
        .flatMap((push) => push.filesChanged),
    ),
  ];
  if (files.length === 0) return ["None."];
  return listed(files, (file) => `- ${inlineCode(file, 300)}`);
}

function listed<T>(items: T[], line: (item: T) => string): string[] {
  const shown = items.slice(0, MAX_LISTED).map(line);
  if (items.length > MAX_LISTED) {
    shown.push(`- … and ${items.length - MAX_LISTED} more`);
  }
  return shown;
}

function detailText({ result, timeline }: SummaryInput): string {
  const steps = timeline.map(
    (event) => `- ${event.at.toISOString()} ${inlineCode(event.kind, 80)}`,
  );
  const timings = result
    ? `Timings: prepare ${result.timings.prepareMs} ms, start ${result.timings.startMs} ms, agent ${result.timings.agentMs} ms, total ${result.timings.totalMs} ms.`
    : "";
  const head = [
    "### Timeline",
    ...(steps.length ? steps.slice(-200) : ["No events."]),
    "",
    timings,
    "",
    "### Log tail",
  ].join("\n");
  const room = BUDGET - head.length - 100;
  const log = result?.log ? tail(result.log, Math.max(0, room)) : "(no output)";
  return `${head}\n${codeBlock(log)}`;
}
