import type { RunResult } from "../../runner/types.ts";
import type { GitHubRun } from "../queue/github-run.ts";
import type { InstallationClient } from "./github-client.ts";
import { inlineCode, stripInvisible } from "./render-safe.ts";

const TITLE_LIMIT = 200;
const MAX_FILES = 30;

export interface PullRequestLink {
  number: number;
  htmlUrl: string;
  created: boolean;
}

/**
 * Opens the draft pull request for the run's branch, or finds the one that
 * is already open (a follow-up `/agent fix` continues the same branch), and
 * asks the person who started the run to review it.
 */
export async function openPullRequest(
  github: InstallationClient,
  run: GitHubRun,
  result: RunResult,
): Promise<PullRequestLink> {
  const ref = { owner: run.owner, repo: run.repo };
  const body = pullBody(run, result);
  const existing = await github.findPullRequest(
    ref,
    `${run.owner}:${run.branch}`,
    run.targetBranch,
  );
  if (existing) {
    await github.updatePullRequest(ref, existing.number, body);
    return { ...existing, created: false };
  }

  const issue = await github.getIssue(ref, run.subjectNumber);
  const created = await github.createPullRequest(ref, {
    title: pullTitle(run, issue.title),
    body,
    head: run.branch,
    base: run.targetBranch,
  });
  // Asking for review is a courtesy; GitHub refuses it for some accounts
  // (for example the pull request's own author), which must not fail the run.
  await github
    .requestReview(ref, created.number, run.requester)
    .catch(() => undefined);
  return { ...created, created: true };
}

export function pullTitle(run: GitHubRun, subjectTitle: string): string {
  const clean = stripInvisible(subjectTitle).replace(/\s+/g, " ").trim();
  const prefix =
    run.subjectKind === "issue"
      ? `Fix #${run.subjectNumber}: `
      : `Changes for #${run.subjectNumber}: `;
  const title = `${prefix}${clean}`;
  return title.length > TITLE_LIMIT
    ? `${title.slice(0, TITLE_LIMIT - 1)}…`
    : title;
}

export function pullBody(run: GitHubRun, result: RunResult): string {
  const accepted = result.pushes.filter((push) => push.accepted);
  const files = [...new Set(accepted.flatMap((push) => push.filesChanged))];
  const commits = accepted.reduce((sum, push) => sum + push.commits, 0);
  const shown = files
    .slice(0, MAX_FILES)
    .map((file) => `- ${inlineCode(file, 200)}`);
  if (files.length > MAX_FILES)
    shown.push(`- … and ${files.length - MAX_FILES} more`);
  const link =
    run.subjectKind === "issue"
      ? `Fixes #${run.subjectNumber}`
      : `Follow-up to #${run.subjectNumber}`;

  return [
    link,
    "",
    `Draft opened by Agent Sandbox for @${run.requester}, who asked: ${inlineCode(run.command)}`,
    "",
    "## What was done",
    "",
    `The agent ran in a sandbox and pushed ${commits} commit(s) to ${inlineCode(run.branch)}, changing ${files.length} file(s):`,
    "",
    ...(shown.length ? shown : ["- (none)"]),
    "",
    `Audit record: ${run.checkRunUrl ?? "see the Agent Sandbox check run"}`,
    "",
    "Review the changes like any other contribution before merging.",
  ].join("\n");
}
