import { parseCommand, type ParsedComment } from "./parse-command.ts";
import type { RepoRef } from "./github-client.ts";

// Pulls out of a webhook payload the few fields the app acts on. Payloads
// are untrusted shapes: every field is checked, and anything unexpected
// makes the event "ignored" rather than an exception in the request.

export interface Sender {
  login: string;
  id: number;
  isBot: boolean;
}

export interface ReviewContext {
  path: string;
  line: number | null;
  diffHunk: string;
}

export type ActionableEvent =
  | {
      type: "command";
      installationId: number;
      repo: RepoRef & { fullName: string };
      sender: Sender;
      subject: { kind: "issue" | "pull_request"; number: number };
      trigger: {
        kind: "issue_comment" | "review_comment" | "review";
        id: number;
      };
      parsed: Exclude<ParsedComment, { type: "none" }>;
      review: ReviewContext | null;
    }
  | {
      type: "cancel_button";
      installationId: number;
      repo: RepoRef & { fullName: string };
      sender: Sender;
      checkRunId: number;
    };

export type EventReading =
  | { actionable: true; event: ActionableEvent }
  | { actionable: false; why: string };

// The identifier of the check run's Cancel button.
export const CANCEL_ACTION = "cancel";

export function readEvent(name: string, payload: unknown): EventReading {
  const p = asRecord(payload);
  const action = p.action;
  const installationId = num(asRecord(p.installation).id);
  const repository = asRecord(p.repository);
  const fullName = str(repository.full_name);
  const sender = readSender(p.sender);
  if (!installationId || !fullName || !sender) {
    return ignored("no installation, repository or sender");
  }
  const [owner = "", repo = ""] = fullName.split("/");
  const repoRef = { owner, repo, fullName };
  if (sender.isBot) return ignored("sent by a bot");

  if (name === "check_run") {
    if (action !== "requested_action") return ignored("check_run action");
    const identifier = str(asRecord(p.requested_action).identifier);
    const checkRunId = num(asRecord(p.check_run).id);
    if (identifier !== CANCEL_ACTION || !checkRunId) {
      return ignored("unknown requested action");
    }
    return actionable({
      type: "cancel_button",
      installationId,
      repo: repoRef,
      sender,
      checkRunId,
    });
  }

  const source = commentSource(name, action, p);
  if (!source) return ignored(`${name}.${String(action)}`);
  const parsed = parseCommand(source.body);
  if (parsed.type === "none") return ignored("no command");
  return actionable({
    type: "command",
    installationId,
    repo: repoRef,
    sender,
    subject: source.subject,
    trigger: source.trigger,
    parsed,
    review: source.review,
  });
}

interface CommentSource {
  body: string;
  subject: { kind: "issue" | "pull_request"; number: number };
  trigger: { kind: "issue_comment" | "review_comment" | "review"; id: number };
  review: ReviewContext | null;
}

// Only new comments count: an edit must not start (or restart) a run.
function commentSource(
  name: string,
  action: unknown,
  p: Record<string, unknown>,
): CommentSource | null {
  if (name === "issue_comment" && action === "created") {
    const comment = asRecord(p.comment);
    const issue = asRecord(p.issue);
    const number = num(issue.number);
    const id = num(comment.id);
    if (!number || !id) return null;
    return {
      body: str(comment.body) ?? "",
      subject: {
        kind: issue.pull_request ? "pull_request" : "issue",
        number,
      },
      trigger: { kind: "issue_comment", id },
      review: null,
    };
  }
  if (name === "pull_request_review_comment" && action === "created") {
    const comment = asRecord(p.comment);
    const number = num(asRecord(p.pull_request).number);
    const id = num(comment.id);
    if (!number || !id) return null;
    return {
      body: str(comment.body) ?? "",
      subject: { kind: "pull_request", number },
      trigger: { kind: "review_comment", id },
      review: {
        path: str(comment.path) ?? "",
        line: num(comment.line) ?? num(comment.original_line) ?? null,
        diffHunk: str(comment.diff_hunk) ?? "",
      },
    };
  }
  if (name === "pull_request_review" && action === "submitted") {
    const review = asRecord(p.review);
    const number = num(asRecord(p.pull_request).number);
    const id = num(review.id);
    if (!number || !id) return null;
    return {
      body: str(review.body) ?? "",
      subject: { kind: "pull_request", number },
      trigger: { kind: "review", id },
      review: null,
    };
  }
  return null;
}

function readSender(value: unknown): Sender | null {
  const sender = asRecord(value);
  const login = str(sender.login);
  const id = num(sender.id);
  if (!login || id === undefined) return null;
  return {
    login,
    id,
    isBot: sender.type === "Bot" || login.endsWith("[bot]"),
  };
}

function actionable(event: ActionableEvent): EventReading {
  return { actionable: true, event };
}

function ignored(why: string): EventReading {
  return { actionable: false, why };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object"
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? value
    : undefined;
}
