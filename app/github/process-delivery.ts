import { databaseAuditSink } from "../audit/database-audit-sink.ts";
import type { Database, Queryable } from "../db/database.ts";
import type { Logger } from "../log/logger.ts";
import { loadPolicy } from "../policy/load-policy.ts";
import type { OperatorSettings } from "../policy/merge-policy.ts";
import type { GitHubRun } from "../queue/github-run.ts";
import {
  activeRun,
  insertRun,
  latestRun,
  requestCancel,
  runByCheckRun,
  type Subject,
} from "../queue/run-store.ts";
import { authorize, meets } from "./authorize.ts";
import type { GitHubApp, InstallationClient } from "./github-client.ts";
import { messages } from "./messages.ts";
import { helpText } from "./parse-command.ts";
import { readEvent, type ActionableEvent } from "./read-event.ts";
import { resolveTarget } from "./resolve-target.ts";
import type { RunReporter } from "./run-reporter.ts";

export interface IntakeDeps {
  db: Database;
  github: GitHubApp;
  operator: OperatorSettings;
  reporter: RunReporter;
  log: Logger;
  /** Wakes the worker when a run was queued. */
  onQueued: () => void;
}

type CommandEvent = Extract<ActionableEvent, { type: "command" }>;

/** What to do once the decision is committed. */
interface Decision {
  result: string;
  reply?: string;
  react?: boolean;
  queued?: GitHubRun;
  cancelledQueued?: GitHubRun;
}

/**
 * Works through one recorded delivery. The delivery row stays locked while
 * the decision is made, and the run (if any) is inserted in the same
 * transaction that marks the delivery processed: a delivery yields at most
 * one run however often it is delivered or retried. Replies, the reaction
 * and the check run follow the commit.
 */
export async function processDelivery(
  deps: IntakeDeps,
  deliveryId: string,
): Promise<string> {
  const log = deps.log.child({ deliveryId });
  let event: ActionableEvent | undefined;

  const decision = await deps.db.transaction(async (tx) => {
    const found = await tx.query<{ event: string; payload: unknown }>(
      `SELECT event, payload FROM webhook_deliveries
        WHERE delivery_id = $1 AND processed_at IS NULL
        FOR UPDATE SKIP LOCKED`,
      [deliveryId],
    );
    const row = found.rows[0];
    if (!row) return null;

    const reading = readEvent(row.event, row.payload);
    const made: Decision = reading.actionable
      ? await decide(deps, tx, deliveryId, (event = reading.event))
      : { result: "ignored" };
    await tx.query(
      `UPDATE webhook_deliveries SET processed_at = now(), result = $2
        WHERE delivery_id = $1`,
      [deliveryId, made.result],
    );
    return made;
  });
  if (!decision || !event) return decision?.result ?? "skipped";

  await followUp(deps, deliveryId, event, decision, log);
  log.info({ result: decision.result }, "delivery processed");
  return decision.result;
}

async function decide(
  deps: IntakeDeps,
  tx: Queryable,
  deliveryId: string,
  event: ActionableEvent,
): Promise<Decision> {
  const github = deps.github.installation(event.installationId);
  if (event.sender.login === (await deps.github.botLogin())) {
    return { result: "ignored: own comment" };
  }

  const floor = await authorize(
    github,
    event.repo,
    event.sender.login,
    deps.operator.minPermission,
  );
  if (!floor.allowed) return refuse(tx, event);

  if (event.type === "cancel_button") {
    const run = await runByCheckRun(tx, event.repo.fullName, event.checkRunId);
    if (!run) return { result: "ignored: unknown check run" };
    return cancel(tx, run, event.sender.login);
  }

  const subject: Subject = {
    repository: event.repo.fullName,
    subjectKind: event.subject.kind,
    subjectNumber: event.subject.number,
  };
  const parsed = event.parsed;
  if (parsed.type === "malformed") {
    return { result: "help", reply: helpText(parsed.problem), react: true };
  }
  switch (parsed.command.kind) {
    case "help":
      return { result: "help", reply: helpText(), react: true };
    case "status":
      return {
        result: "status",
        reply: messages.status(await latestRun(tx, subject)),
        react: true,
      };
    case "cancel": {
      const run = await activeRun(tx, subject);
      if (!run) {
        return {
          result: "cancel: nothing",
          reply: messages.nothingToCancel(event.sender.login),
        };
      }
      return {
        ...(await cancel(tx, run, event.sender.login)),
        reply: messages.cancelRequested(event.sender.login),
        react: true,
      };
    }
    case "fix":
      return fix(
        deps,
        tx,
        github,
        deliveryId,
        event,
        subject,
        floor.permission,
      );
  }
}

async function fix(
  deps: IntakeDeps,
  tx: Queryable,
  github: InstallationClient,
  deliveryId: string,
  event: CommandEvent,
  subject: Subject,
  permission: string,
): Promise<Decision> {
  const login = event.sender.login;
  const repository = await github.getRepository(event.repo);
  const policy = await loadPolicy(
    github,
    event.repo,
    repository.defaultBranch,
    deps.operator,
  );
  if (!policy.ok) {
    return {
      result: "refused: invalid policy",
      reply: messages.invalidPolicy(login, policy.problems),
    };
  }
  if (!meets(permission as never, policy.policy.minPermission)) {
    return refuse(tx, event);
  }

  const running = await activeRun(tx, subject);
  if (running) return { result: "busy", reply: messages.busy(login, running) };

  const target = await resolveTarget(
    github,
    event.repo,
    event.subject,
    repository.defaultBranch,
    policy.policy.allowForks,
    await deps.github.botLogin(),
  );
  if (!target.ok) {
    return target.refusal === "fork"
      ? { result: "refused: fork", reply: messages.forkRefused(login) }
      : { result: "refused: no base", reply: messages.notFound };
  }

  const run = await insertRun(tx, {
    deliveryId,
    installationId: event.installationId,
    repository: event.repo.fullName,
    subjectKind: event.subject.kind,
    subjectNumber: event.subject.number,
    requester: login,
    requesterId: event.sender.id,
    requesterPermission: permission,
    command: commandLine(event),
    triggerComment: event.trigger,
    ...target.target,
    policy: policy.policy,
  });
  if (!run) {
    // Another command won the race for this issue between our check and
    // the insert; the unique index decided.
    const winner = await activeRun(tx, subject);
    return {
      result: "busy",
      ...(winner ? { reply: messages.busy(login, winner) } : {}),
    };
  }
  return { result: `run ${run.id}`, react: true, queued: run };
}

async function cancel(
  tx: Queryable,
  run: GitHubRun,
  by: string,
): Promise<Decision> {
  const before = await requestCancel(tx, run.id, by);
  if (before === "queued") {
    return { result: `cancelled ${run.id}`, cancelledQueued: run };
  }
  return { result: `cancel requested ${run.id}` };
}

/**
 * One polite refusal per person and issue: answering every attempt would
 * let anyone make the app spam a thread.
 */
async function refuse(
  tx: Queryable,
  event: ActionableEvent,
): Promise<Decision> {
  if (event.type !== "command") return { result: "refused" };
  const key = `refused ${event.repo.fullName}#${event.subject.number} ${event.sender.login}`;
  const earlier = await tx.query(
    "SELECT 1 FROM webhook_deliveries WHERE result = $1 LIMIT 1",
    [key],
  );
  if (earlier.rowCount > 0) return { result: `${key} (again)` };
  return { result: key, reply: messages.refused(event.sender.login) };
}

function commandLine(event: CommandEvent): string {
  const parsed = event.parsed;
  if (parsed.type !== "command" || parsed.command.kind !== "fix") return "";
  return `/agent fix${parsed.command.text ? ` ${parsed.command.text}` : ""}`;
}

async function followUp(
  deps: IntakeDeps,
  deliveryId: string,
  event: ActionableEvent,
  decision: Decision,
  log: Logger,
): Promise<void> {
  const github = deps.github.installation(event.installationId);
  const steps: Promise<unknown>[] = [];
  if (event.type === "command" && decision.react) {
    const trigger = event.trigger;
    // GitHub has no reactions on a review itself, only on its comments.
    if (trigger.kind !== "review") {
      const target = { kind: trigger.kind, id: trigger.id };
      steps.push(github.addReaction(event.repo, target, "eyes"));
    }
  }
  if (event.type === "command" && decision.reply) {
    steps.push(
      github.createComment(event.repo, event.subject.number, decision.reply),
    );
  }
  if (decision.queued) {
    const run = decision.queued;
    steps.push(
      databaseAuditSink(deps.db, run.id)
        .record("requested", {
          deliveryId,
          trigger: event.type === "command" ? event.trigger : null,
          requester: run.requester,
          permission: run.requesterPermission,
          command: run.command,
          subject: `${run.repository}#${run.subjectNumber}`,
          branch: run.branch,
          baseSha: run.baseSha,
          policy: run.policy,
        })
        .then(() => deps.reporter.queued(run))
        .finally(() => deps.onQueued()),
    );
  }
  if (decision.cancelledQueued) {
    steps.push(
      deps.reporter.finished(decision.cancelledQueued, {
        finish: {
          outcome: "cancelled",
          reason: "cancelled",
          detail: `cancelled by ${event.sender.login} before it started`,
        },
        result: null,
        pullUrl: null,
      }),
    );
  }
  const settled = await Promise.allSettled(steps);
  for (const outcome of settled) {
    if (outcome.status === "rejected") {
      log.error({ err: outcome.reason }, "delivery follow-up failed");
    }
  }
}
