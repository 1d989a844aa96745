import { randomUUID } from "node:crypto";
import path from "node:path";

import { expandEgressAllow } from "../../../runner/presets/egress-presets.ts";
import { runSandbox, type SandboxHost } from "../../../runner/run-sandbox.ts";
import { checkRuntime } from "../../../runner/sandbox/check-runtime.ts";
import type { RunResult, RunSpec } from "../../../runner/types.ts";
import { createLocalUpstream } from "../../../runner/upstream/local-upstream.ts";
import { appendEvent } from "../../audit/audit-trail.ts";
import { databaseAuditSink } from "../../audit/database-audit-sink.ts";
import type { Database } from "../../db/database.ts";
import { openDatabase } from "../../db/open-database.ts";
import { AppError } from "../../errors/app-error.ts";
import type { Logger } from "../../log/logger.ts";
import {
  insertCliRun,
  recordResult,
  cliOwner,
} from "../../runs/run-records.ts";
import {
  ALWAYS_PROTECTED,
  OPEN_FILES,
  PUSH_LIMITS,
  TMP_BYTES,
} from "../../runs/fixed-limits.ts";
import { createSandboxHost, sweepLeftovers } from "../../runs/sandbox-host.ts";
import type { Command } from "../command.ts";
import { parseRunArgs, RUN_USAGE, type RunArgs } from "./run-args.ts";
import { formatRunSummary } from "./run-summary.ts";

export const runCommand: Command = {
  name: "run",
  summary: "one sandboxed run against a local git repository",
  usage: RUN_USAGE,
  async run(argv, { config, log, stopping, stdout }) {
    const args = await parseRunArgs(argv, config);
    const egress = expandEgressAllow(args.allowHosts, "--allow-host");
    if (egress.errors.length > 0) {
      throw new AppError("USAGE", egress.errors.join("\n"));
    }

    const database = await openDatabase(config, log);
    try {
      const host = await createSandboxHost(config, database.db, log, (line) =>
        process.stderr.write(`[runner image] ${line}\n`),
      );
      await checkRuntime(host.engine, args.runtime);
      await sweepLeftovers(host, database.db, log);

      const spec = runSpec(args, config.runner.defaults, egress.rules);
      const runLog = log.child({ runId: spec.runId });
      await insertCliRun(database.db, {
        id: spec.runId,
        repository: spec.repository,
        branch: spec.branch,
        baseSha: args.baseSha,
        deadlineAt: new Date(Date.now() + args.timeoutSeconds * 1000),
        owner: cliOwner(),
      });
      await appendEvent(database.db, spec.runId, "requested", {
        source: "cli",
        repository: args.repo,
        baseSha: args.baseSha,
        branch: spec.branch,
        agentCommand: spec.agentCommand,
        allowHosts: args.allowHosts,
      });

      const result = await execute(
        spec,
        args,
        host,
        database.db,
        runLog,
        stopping,
      );
      const { rows } = await database.db.query<{ audit_head: string }>(
        "SELECT audit_head FROM runs WHERE id = $1",
        [spec.runId],
      );
      const auditHead = rows[0]?.audit_head ?? "";
      stdout.write(
        args.json
          ? `${JSON.stringify(jsonResult(result, auditHead))}\n`
          : formatRunSummary(result, auditHead),
      );
      return result.outcome === "success" ? 0 : 1;
    } finally {
      await database.close();
    }
  },
};

async function execute(
  spec: RunSpec,
  args: RunArgs,
  host: SandboxHost,
  db: Database,
  log: Logger,
  stopping: AbortSignal,
): Promise<RunResult> {
  const result = await runSandbox(spec, host, {
    upstream: createLocalUpstream(args.repo),
    audit: databaseAuditSink(db, spec.runId),
    log,
    signal: stopping,
    // Live, scrubbed agent output for the person at the terminal; stdout
    // stays for the result alone.
    onOutput: (text) => process.stderr.write(text),
  });
  await recordResult(db, result);
  return result;
}

/** The `--json` shape: the run's result, each push's verdict as one
 * `reason` line beside its list, and the head of the audit chain. */
function jsonResult(result: RunResult, auditHead: string) {
  return {
    ...result,
    pushes: result.pushes.map((push) => ({
      ...push,
      reason: push.accepted ? null : push.reasons.join("; "),
    })),
    auditHead,
  };
}

/** The name the sandbox knows a local repository by: never a host path. */
function localLabel(repo: string): string {
  const name = path.basename(repo).replace(/[^A-Za-z0-9._-]/g, "-");
  return `local/${name.replace(/^[.-]+/, "") || "repository"}`;
}

function runSpec(
  args: RunArgs,
  defaults: { pids: number; workspaceBytes: number },
  allow: RunSpec["egress"]["allow"],
): RunSpec {
  return {
    runId: randomUUID(),
    repository: localLabel(args.repo),
    baseRef: args.baseSha,
    branch: args.branch,
    task: args.task,
    agentCommand: args.agent,
    agentEnv: args.agentEnv,
    limits: {
      timeoutSeconds: args.timeoutSeconds,
      memoryBytes: args.memoryBytes,
      cpus: args.cpus,
      pids: defaults.pids,
      openFiles: OPEN_FILES,
      workspaceBytes: defaults.workspaceBytes,
      tmpBytes: TMP_BYTES,
    },
    pushPolicy: { protectedPaths: ALWAYS_PROTECTED, ...PUSH_LIMITS },
    egress: { allow },
    ...(args.runtime !== undefined && { runtime: args.runtime }),
  };
}
