// The short texts the app posts as comments. Kept together so their tone
// stays the same: polite, brief, and never revealing policy internals to
// someone who may not start runs.

import type { GitHubRun } from "../queue/github-run.ts";

export const messages = {
  refused(login: string): string {
    return `@${login} thanks for the request. Runs here can only be started by people with write access to this repository, so I have not started one.`;
  },

  botIgnored: "Requests from bots are not accepted.",

  forkRefused(login: string): string {
    return `@${login} this pull request comes from a fork, and runs on pull requests from forks are turned off for this repository (\`pullRequests.allowForks\` in \`.github/agent-sandbox.yml\`).`;
  },

  invalidPolicy(login: string, problems: string[]): string {
    const list = problems.map((problem) => `- ${escapeLine(problem)}`);
    return [
      `@${login} I did not start a run: the agent sandbox policy is not valid.`,
      "",
      ...list,
      "",
      "Fix the file(s) above on the default branch, then ask again.",
    ].join("\n");
  },

  busy(login: string, run: GitHubRun): string {
    const where = run.checkRunUrl ? ` ([progress](${run.checkRunUrl}))` : "";
    return `@${login} a run is already ${run.state === "queued" ? "queued" : "in progress"} here${where}. Wait for it to finish, or stop it with \`/agent cancel\`.`;
  },

  nothingToCancel(login: string): string {
    return `@${login} there is no run in progress here to cancel.`;
  },

  cancelRequested(login: string): string {
    return `@${login} stopping the run.`;
  },

  status(run: GitHubRun | null): string {
    if (!run) return "No run has been started here yet.";
    const link = run.checkRunUrl ? ` Details: ${run.checkRunUrl}` : "";
    const pr = run.prUrl ? ` Pull request: ${run.prUrl}` : "";
    const state =
      run.state === "finished"
        ? `finished: ${run.outcome ?? "unknown"}${run.reason && run.reason !== run.outcome ? ` (${run.reason})` : ""}`
        : run.state;
    return `The latest run here (requested by @${run.requester}) is ${state}.${pr}${link}`;
  },

  notFound:
    "I could not read this issue or pull request; it may have been deleted or moved.",
};

function escapeLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/@/g, "@\u200b");
}
