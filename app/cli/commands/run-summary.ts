import type { RunResult } from "../../../runner/types.ts";

const MiB = 1024 * 1024;

/** The readable account of one command-line run. */
export function formatRunSummary(result: RunResult, auditHead: string): string {
  const lines = [
    `run ${result.runId}: ${result.outcome}${result.reason ? ` (${result.reason})` : ""}`,
    `  branch     ${result.branch} from ${result.baseSha.slice(0, 12)}${result.headSha ? ` -> ${result.headSha.slice(0, 12)}` : ", nothing pushed"}`,
    `  agent exit ${result.exitCode ?? "none"}`,
    `  image      ${result.image}`,
    `  limits     ${result.limits.timeoutSeconds}s, ${Math.round(result.limits.memoryBytes / MiB)} MiB, ${result.limits.cpus} CPU, ${result.limits.pids} processes`,
    `  timings    prepare ${result.timings.prepareMs} ms, start ${result.timings.startMs} ms, agent ${result.timings.agentMs} ms, total ${result.timings.totalMs} ms`,
  ];
  if (result.peakMemoryBytes !== null) {
    lines.push(
      `  memory     peak ${(result.peakMemoryBytes / MiB).toFixed(1)} MiB`,
    );
  }
  for (const push of result.pushes) {
    const verdict = push.accepted
      ? "accepted"
      : `rejected: ${push.reasons.join("; ")}`;
    lines.push(
      `  push       ${push.ref} ${push.oldSha.slice(0, 8)}..${push.newSha.slice(0, 8)} ${verdict}`,
    );
  }
  for (const attempt of result.egress) {
    lines.push(
      `  egress     ${attempt.host}:${attempt.port} ${attempt.allowed ? "allowed" : `denied (${attempt.reason})`}`,
    );
  }
  for (const usage of result.usage) {
    lines.push(
      `  model      ${usage.provider}: ${usage.inputTokens} in, ${usage.outputTokens} out tokens`,
    );
  }
  lines.push(`  audit head ${auditHead}`);
  if (result.log.trim() !== "") {
    lines.push(
      "",
      "--- agent output (head and tail) ---",
      result.log.trimEnd(),
    );
  }
  return `${lines.join("\n")}\n`;
}
