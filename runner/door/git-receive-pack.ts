import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";

import type { Logger } from "pino";

import type { AuditSink, PushRecord, RunSpec, Upstream } from "../types.ts";
import { parseCommandList, type RefCommand } from "./git-command-list.ts";
import { listRange, type PushedRange } from "./git-inspect.ts";
import { oneLine, spawnGit } from "./git-process.ts";
import type { PushQuarantine, QuarantineArea } from "./git-quarantine.ts";
import { encodeReport, RECEIVE_RESULT_TYPE } from "./git-report.ts";
import {
  copyBounded,
  discardRest,
  readSection,
  requestBody,
} from "./git-request-body.ts";
import { ProtocolError } from "./pkt-line.ts";
import {
  packSizeViolation,
  verifyCommands,
  verifyObjects,
  verifyTip,
  type Violation,
} from "./verify-push.ts";

// A git client sends one command per ref it pushes; a run may push one ref,
// so a list longer than this is refused without reading further.
const COMMAND_LIMITS = { maxBytes: 64 * 1024, maxPackets: 32 };
// How many changed paths a push record keeps; the count is always exact.
const MAX_RECORDED_FILES = 500;

export interface ReceiveContext {
  spec: RunSpec;
  upstream: Upstream;
  quarantine: QuarantineArea;
  audit: AuditSink;
  log: Logger;
  /** Adds a judged push to the door's list. */
  record(push: PushRecord): void;
  /** Runs `work` when no other push of the run is being judged. */
  serialize<T>(work: () => Promise<T>): Promise<T>;
}

interface Judged {
  verdict: Verdict;
  /** Moves an accepted push's objects into the run's store. */
  keep?: () => Promise<void>;
}

interface Verdict {
  command: RefCommand;
  violations: Violation[];
  unpack: string;
  conflict: string | null;
  commits: number;
  files: string[];
}

/**
 * POST /git/<repo>.git/git-receive-pack: read the command list, refuse early
 * what the list alone rules out, store the pack in a quarantine repository,
 * judge the objects, and only then forward through the run's Upstream.
 */
export async function handleReceivePack(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ReceiveContext,
): Promise<void> {
  const body = requestBody(req);
  let command: RefCommand | undefined;
  let recorded = false;
  try {
    const section = await readSection(body, COMMAND_LIMITS);
    const list = parseCommandList(section.packets);
    if (!list.capabilities.includes("report-status")) {
      throw new ProtocolError(
        "the client did not ask for report-status; without it a refusal cannot be shown",
      );
    }
    command = list.commands[0] ?? { ref: "", oldSha: "", newSha: "" };
    const sideBand = list.capabilities.includes("side-band-64k");
    await ctx.audit.record("push_received", { ...command, agent: list.agent });

    const respond = async ({ verdict, keep }: Judged) => {
      recorded = true;
      try {
        await finish(verdict, ctx);
        answer(res, verdict, sideBand);
      } finally {
        // After the answer: the push is upstream already, and the run's
        // next push waits for this (serialize) before it is judged.
        await keep?.();
      }
    };
    const early = verifyCommands({ list, branch: ctx.spec.branch });
    const pushed = command;
    await (early.length > 0
      ? respond({ verdict: blank(pushed, early) })
      : ctx.serialize(async () =>
          respond(await judge(body, section.rest, pushed, ctx)),
        ));
  } catch (err) {
    const protocol = err instanceof ProtocolError;
    if (!protocol) ctx.log.error({ err }, "push handling failed");
    const violation = protocol
      ? { rule: "protocol", message: err.message }
      : { rule: "internal", message: "the door could not judge the push" };
    if (!recorded) {
      recorded = true;
      const unknown = { ref: "", oldSha: "", newSha: "" };
      await finish(blank(command ?? unknown, [violation]), ctx).catch(
        (auditErr: unknown) =>
          ctx.log.error({ err: auditErr }, "push audit failed"),
      );
    }
    if (!res.headersSent) {
      res.writeHead(protocol ? 400 : 500, {
        "content-type": "text/plain",
        connection: "close",
      });
      res.end(`${violation.message}; nothing was forwarded\n`);
    }
  } finally {
    discardRest(req, body);
  }
}

async function judge(
  body: Readable,
  rest: Buffer,
  command: RefCommand,
  ctx: ReceiveContext,
): Promise<Judged> {
  const quarantine = await ctx.quarantine.open();
  let kept = false;
  try {
    const limit = ctx.spec.pushPolicy.maxPackBytes;
    const unpack = await storePack(body, rest, quarantine, limit);
    if (unpack !== "ok") {
      const violations =
        unpack === "too-large" ? [packSizeViolation(limit)] : [];
      const verdict = {
        ...blank(command, violations),
        unpack: unpackText(unpack),
      };
      return { verdict };
    }

    const range: PushedRange = { gitDir: quarantine.dir, ...command };
    // Every check starts at once, alongside the tip check, to save rounds
    // of process starts; their failure only matters when the tip is a
    // commit.
    const listing = listRange(range, ctx.spec.pushPolicy.maxCommits);
    const [tip, checked] = await Promise.all([
      verifyTip(range),
      settle(verifyObjects({ range, policy: ctx.spec.pushPolicy, listing })),
    ]);
    if (tip.length > 0) return { verdict: blank(command, tip) };
    if (checked instanceof Error) throw checked;
    const { commits, changes } = await listing;
    const verdict: Verdict = {
      ...blank(command, checked),
      commits: commits.length,
      files: [...new Set(changes.map((c) => c.path))],
    };
    if (checked.length > 0) return { verdict };

    const forwarded = await forward(ctx, quarantine, command);
    if (forwarded === null) {
      kept = true;
      return {
        verdict,
        keep: () => quarantine.accept(command.ref, command.newSha),
      };
    }
    return { verdict: { ...verdict, conflict: forwarded } };
  } finally {
    if (!kept) await quarantine.discard();
  }
}

function settle<T>(work: Promise<T>): Promise<T | Error> {
  return work.catch((err: unknown) =>
    err instanceof Error ? err : new Error(String(err)),
  );
}

type Unpack = "ok" | "too-large" | "truncated" | { error: string };

/** Streams the pack into `git index-pack` inside the quarantine. */
async function storePack(
  body: Readable,
  rest: Buffer,
  quarantine: PushQuarantine,
  limit: number,
): Promise<Unpack> {
  const child = spawnGit(
    [
      "index-pack",
      "--stdin",
      "--fix-thin",
      "--strict",
      `--max-input-size=${limit}`,
    ],
    { gitDir: quarantine.dir },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-2000);
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", resolve);
    child.on("error", () => resolve(null));
  });

  const copy = await copyBounded(body, rest, child.stdin, limit);
  if (copy !== "complete") child.kill("SIGKILL");
  const code = await exited;
  if (copy === "too-large") return "too-large";
  if (code === 0) return "ok";
  if (copy === "aborted" && !stderr) return "truncated";
  return { error: oneLine(stderr.replace(/^fatal: /, ""), 200) };
}

function unpackText(unpack: Exclude<Unpack, "ok">): string {
  if (unpack === "too-large") return "pack exceeds the size limit";
  if (unpack === "truncated") return "the request ended before the pack did";
  return unpack.error || "index-pack failed";
}

/** Null when forwarded; the conflict or failure text otherwise. */
async function forward(
  ctx: ReceiveContext,
  quarantine: PushQuarantine,
  command: RefCommand,
): Promise<string | null> {
  try {
    const result = await ctx.upstream.forward(quarantine.dir, command);
    if (result.ok) return null;
    return result.conflict
      ? `fetch first: ${command.ref} changed upstream (${oneLine(result.message, 200)})`
      : `upstream refused the update: ${oneLine(result.message, 200)}`;
  } catch (err) {
    ctx.log.error({ err, ref: command.ref }, "forward failed");
    return "upstream could not be reached; try again";
  }
}

function blank(command: RefCommand, violations: Violation[]): Verdict {
  return {
    command,
    violations,
    unpack: "ok",
    conflict: null,
    commits: 0,
    files: [],
  };
}

async function finish(verdict: Verdict, ctx: ReceiveContext): Promise<void> {
  const reasons = verdict.violations.map((v) => `${v.rule}: ${v.message}`);
  if (verdict.unpack !== "ok" && reasons.length === 0) {
    reasons.push(`unpack: ${verdict.unpack}`);
  }
  if (verdict.conflict !== null) reasons.push(verdict.conflict);
  const accepted = reasons.length === 0;
  const record: PushRecord = {
    ...verdict.command,
    accepted,
    reasons,
    filesChanged: verdict.files.slice(0, MAX_RECORDED_FILES),
    commits: verdict.commits,
  };
  ctx.record(record);

  const kind = accepted
    ? "push_accepted"
    : verdict.conflict?.startsWith("fetch first")
      ? "push_conflict"
      : "push_rejected";
  await ctx.audit.record(kind, {
    ...record,
    filesChangedCount: verdict.files.length,
  });
  ctx.log.info(
    { ref: record.ref, accepted, rules: verdict.violations.map((v) => v.rule) },
    kind === "push_accepted" ? "push accepted" : "push refused",
  );
}

function answer(
  res: ServerResponse,
  verdict: Verdict,
  sideBand: boolean,
): void {
  const rules = verdict.violations.map((v) => v.rule);
  const refused =
    verdict.conflict ??
    (rules.length > 0
      ? sideBand
        ? `rejected by policy: ${rules.join(", ")}`
        : verdict.violations.map((v) => `${v.rule}: ${v.message}`).join("; ")
      : verdict.unpack !== "ok"
        ? "unpacker error"
        : null);
  const progress = verdict.violations.map(
    (v) => `agent-sandbox rejected the push [${v.rule}]: ${v.message}`,
  );
  res.writeHead(200, {
    "content-type": RECEIVE_RESULT_TYPE,
    "cache-control": "no-cache",
  });
  res.end(
    encodeReport({
      unpack: verdict.unpack,
      ref: verdict.command.ref,
      refused,
      progress,
      sideBand,
    }),
  );
}
