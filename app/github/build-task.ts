import { createHash } from "node:crypto";

import type { TriggerPermission } from "../policy/policy-schema.ts";
import { meets } from "./authorize.ts";
import type { InstallationClient, RepoRef } from "./github-client.ts";
import type { ReviewContext } from "./read-event.ts";
import { stripHidden } from "./sanitize-text.ts";

// The task must fit comfortably in an environment variable and a model's
// context; a long thread is cut to its newest comments.
export const MAX_TASK_CHARS = 60_000;
const MAX_PART_CHARS = 8_000;
const MAX_COMMENTS = 50;

export interface TaskInput {
  source: "instruction" | "title" | "body" | "comment" | "review";
  id: number | null;
  author: string | null;
  sha256: string;
}

export interface BuiltTask {
  text: string;
  sha256: string;
  /** What went in, by hash, for the audit trail. */
  inputs: TaskInput[];
  /** Comments left out because their author may not start runs. */
  skippedComments: number;
}

export interface TaskRequest {
  ref: RepoRef;
  subject: { kind: "issue" | "pull_request"; number: number };
  instruction: string;
  details: string;
  review: ReviewContext | null;
  botLogin: string;
  /** Comments count only from people holding at least this permission. */
  minPermission: TriggerPermission;
}

/**
 * What the agent is asked to do: the instruction, the issue or pull
 * request's title and body, the relevant comments, and for a review comment
 * the file, line and diff hunk. Only comments by people who could have
 * started the run themselves are included, so a drive-by commenter cannot
 * steer the agent; hidden HTML and invisible characters are stripped from
 * everything.
 */
export async function buildTask(
  github: InstallationClient,
  request: TaskRequest,
): Promise<BuiltTask> {
  const { ref, subject } = request;
  const issue = await github.getIssue(ref, subject.number);
  const comments = await github.listComments(ref, subject.number);
  const inputs: TaskInput[] = [];
  const part = (
    source: TaskInput["source"],
    text: string,
    id: number | null,
    author: string | null,
  ) => {
    const clean = cap(stripHidden(text), MAX_PART_CHARS);
    inputs.push({ source, id, author, sha256: sha256(clean) });
    return clean;
  };

  const noun = subject.kind === "issue" ? "Issue" : "Pull request";
  const sections = [
    "# Task",
    part("instruction", instructionText(request), null, null) ||
      `Resolve the ${noun.toLowerCase()} below.`,
    "",
    `# ${noun} #${issue.number}: ${part("title", issue.title, issue.number, issue.user.login)}`,
    "",
    part("body", issue.body, issue.number, issue.user.login) ||
      "(no description)",
  ];

  if (request.review) {
    const { path, line, diffHunk } = request.review;
    sections.push(
      "",
      "# Review comment location",
      `File: ${stripHidden(path)}${line ? `, line ${line}` : ""}`,
      "",
      "```diff",
      part("review", diffHunk, null, null).replace(/```/g, "'''"),
      "```",
    );
  }

  const permissions = new Map<string, boolean>();
  const allowed = async (login: string) => {
    if (!permissions.has(login)) {
      const held = await github.getPermission(ref, login);
      permissions.set(login, meets(held, request.minPermission));
    }
    return permissions.get(login)!;
  };

  let skipped = 0;
  const kept: string[] = [];
  for (const comment of comments.slice(-MAX_COMMENTS)) {
    const login = comment.user.login;
    if (login === request.botLogin || comment.user.type === "Bot") continue;
    if (!(await allowed(login))) {
      skipped += 1;
      continue;
    }
    const body = part("comment", comment.body, comment.id, login);
    if (body) kept.push(`## ${login} (${comment.createdAt})\n\n${body}`);
  }
  if (kept.length > 0) sections.push("", "# Comments", "", kept.join("\n\n"));

  const text = cap(sections.join("\n"), MAX_TASK_CHARS);
  return { text, sha256: sha256(text), inputs, skippedComments: skipped };
}

function instructionText(request: TaskRequest): string {
  return [request.instruction, request.details].filter(Boolean).join("\n\n");
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n[cut]` : text;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
