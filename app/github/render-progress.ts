import type { GitHubRun } from "../queue/github-run.ts";
import { conclusionOf, headline, type Finish } from "./render-summary.ts";
import { plainText } from "./render-safe.ts";

// The one progress comment of a run, edited in place as the run moves on.
// A hidden marker names the run so the comment can be found again.

export type Progress =
  | { stage: "queued" }
  | { stage: "running" }
  | { stage: "finished"; finish: Finish; pullUrl: string | null };

export function renderProgress(run: GitHubRun, progress: Progress): string {
  const details = run.checkRunUrl ? ` [Details](${run.checkRunUrl})` : "";
  const marker = `<!-- agent-sandbox run ${run.id} -->`;
  const body = (() => {
    switch (progress.stage) {
      case "queued":
        return `⏳ Queued a sandboxed run for @${run.requester} on \`${run.branch}\`.${details}`;
      case "running":
        return `🏃 Running in a sandbox on \`${run.branch}\`. Stop it with \`/agent cancel\` or the Cancel button on the check run.${details}`;
      case "finished":
        return finishedText(progress.finish, progress.pullUrl, details);
    }
  })();
  return `${marker}\n${body}`;
}

function finishedText(
  finish: Finish,
  pullUrl: string | null,
  details: string,
): string {
  const conclusion = conclusionOf(finish);
  const icon =
    conclusion === "success" ? "✅" : conclusion === "cancelled" ? "⏹️" : "❌";
  const pull = pullUrl ? ` Draft pull request: ${pullUrl}` : "";
  const why =
    conclusion === "success" || !finish.detail
      ? ""
      : ` Reason: ${plainText(finish.detail, 300)}`;
  const nothing =
    conclusion === "success" && !pullUrl ? " The agent made no changes." : "";
  return `${icon} ${headline(finish)}.${pull}${nothing}${why}${details}`;
}
