import type { RunResult } from "../../runner/types.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log/logger.ts";
import type { GitHubRun } from "../queue/github-run.ts";
import { setRunFields } from "../queue/run-store.ts";
import type { GitHubApp } from "./github-client.ts";
import { CANCEL_ACTION } from "./read-event.ts";
import { renderProgress } from "./render-progress.ts";
import { conclusionOf, renderSummary, type Finish } from "./render-summary.ts";

export const CHECK_NAME = "Agent Sandbox";

export interface FinishReport {
  finish: Finish;
  result: RunResult | null;
  pullUrl: string | null;
}

/**
 * Tells GitHub where a run stands: its check run ("Agent Sandbox") and its
 * progress comment. Each step creates what is missing, so a run whose intake
 * was interrupted still gets both, and writes the ids back fenced by the
 * lease when one is given.
 */
export function createRunReporter(deps: {
  db: Database;
  github: GitHubApp;
  log: Logger;
}) {
  const { db, github } = deps;
  const ref = (run: GitHubRun) => ({ owner: run.owner, repo: run.repo });
  const client = (run: GitHubRun) => github.installation(run.installationId);

  async function ensureCheckRun(run: GitHubRun, token?: number) {
    if (run.checkRunId !== null) return run;
    const created = await client(run).createCheckRun(ref(run), {
      name: CHECK_NAME,
      headSha: run.baseSha,
      externalId: run.id,
      status: "queued",
      output: {
        title: "Queued",
        summary: `Requested by @${run.requester}.`,
      },
    });
    await setRunFields(
      db,
      run.id,
      { check_run_id: created.id, check_run_url: created.htmlUrl },
      token,
    );
    return { ...run, checkRunId: created.id, checkRunUrl: created.htmlUrl };
  }

  async function ensureComment(run: GitHubRun, token?: number) {
    if (run.progressCommentId !== null) return run;
    const id = await client(run).createComment(
      ref(run),
      run.subjectNumber,
      renderProgress(run, { stage: "queued" }),
    );
    await setRunFields(db, run.id, { progress_comment_id: id }, token);
    return { ...run, progressCommentId: id };
  }

  return {
    async queued(run: GitHubRun): Promise<GitHubRun> {
      const withCheck = await ensureCheckRun(run);
      return ensureComment(withCheck);
    },

    async running(run: GitHubRun, token: number): Promise<GitHubRun> {
      const ready = await ensureComment(
        await ensureCheckRun(run, token),
        token,
      );
      await client(ready).updateCheckRun(ref(ready), ready.checkRunId!, {
        status: "in_progress",
        startedAt: new Date().toISOString(),
        output: {
          title: "Running",
          summary: `Running in a sandbox on \`${ready.branch}\`, requested by @${ready.requester}.`,
        },
        actions: [
          {
            label: "Cancel",
            description: "Stop this run",
            identifier: CANCEL_ACTION,
          },
        ],
      });
      await client(ready).updateComment(
        ref(ready),
        ready.progressCommentId!,
        renderProgress(ready, { stage: "running" }),
      );
      return ready;
    },

    async finished(
      run: GitHubRun,
      report: FinishReport,
      token?: number,
    ): Promise<void> {
      const ready = await ensureComment(
        await ensureCheckRun(run, token),
        token,
      );
      const output = renderSummary({
        run: ready,
        finish: report.finish,
        result: report.result,
        pullUrl: report.pullUrl,
        ...(await auditOf(db, ready.id)),
      });
      const conclusion = conclusionOf(report.finish);
      const completedAt = new Date().toISOString();
      await client(ready).updateCheckRun(ref(ready), ready.checkRunId!, {
        status: "completed",
        conclusion,
        completedAt,
        output,
        actions: [],
      });

      // The pushed commit gets its own completed check run, so the audit
      // record shows on the pull request; the base commit keeps the first.
      const head = report.result?.headSha;
      if (head && head !== ready.baseSha && report.pullUrl) {
        await client(ready).createCheckRun(ref(ready), {
          name: CHECK_NAME,
          headSha: head,
          externalId: ready.id,
          status: "completed",
          conclusion,
          completedAt,
          output,
          ...(ready.checkRunUrl ? { detailsUrl: ready.checkRunUrl } : {}),
        });
      }

      await client(ready).updateComment(
        ref(ready),
        ready.progressCommentId!,
        renderProgress(ready, {
          stage: "finished",
          finish: report.finish,
          pullUrl: report.pullUrl,
        }),
      );
    },
  };
}

export type RunReporter = ReturnType<typeof createRunReporter>;

async function auditOf(db: Database, runId: string) {
  const head = await db.query<{ audit_head: string }>(
    "SELECT audit_head FROM runs WHERE id = $1",
    [runId],
  );
  const events = await db.query<{ kind: string; at: Date }>(
    "SELECT kind, at FROM run_events WHERE run_id = $1 ORDER BY seq",
    [runId],
  );
  return {
    auditHead: head.rows[0]?.audit_head ?? "",
    timeline: events.rows.map((event) => ({
      kind: event.kind,
      at: new Date(event.at),
    })),
  };
}
