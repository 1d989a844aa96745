import type {
  InstallationClient,
  PullRequestInfo,
  RepoRef,
} from "./github-client.ts";

// The one prefix of every branch a run may push. The gateway allows exactly
// the run's branch; this prefix makes "a branch the app created" decidable.
export const AGENT_PREFIX = "agent/";

export interface RunTarget {
  /** The branch the run starts from and the commit it starts at. */
  baseBranch: string;
  baseSha: string;
  /** The one branch the agent may push. */
  branch: string;
  /** The branch its pull request is opened into. */
  targetBranch: string;
  /** Set when the run continues an existing pull request of the app. */
  continuesPull: number | null;
}

export type TargetResolution =
  | { ok: true; target: RunTarget }
  | { ok: false; refusal: "fork" | "missing_base" };

/**
 * Where a run starts and where its work goes. On an issue: from the default
 * branch, on `agent/issue-<n>`, into the default branch. On a pull request
 * the app opened: on the same branch, continuing it. On anybody else's pull
 * request: from its head, on `agent/pr-<n>`, into that person's branch, so
 * the app never pushes to a branch it did not create.
 */
export async function resolveTarget(
  github: InstallationClient,
  ref: RepoRef,
  subject: { kind: "issue" | "pull_request"; number: number },
  defaultBranch: string,
  allowForks: boolean,
  botLogin: string,
): Promise<TargetResolution> {
  if (subject.kind === "issue") {
    const sha = await github.getBranchSha(ref, defaultBranch);
    if (!sha) return { ok: false, refusal: "missing_base" };
    return {
      ok: true,
      target: {
        baseBranch: defaultBranch,
        baseSha: sha,
        branch: `${AGENT_PREFIX}issue-${subject.number}`,
        targetBranch: defaultBranch,
        continuesPull: null,
      },
    };
  }

  const pull = await github.getPullRequest(ref, subject.number);
  if (isFork(pull) && !allowForks) return { ok: false, refusal: "fork" };
  if (isOwnBranch(pull, botLogin)) {
    return {
      ok: true,
      target: {
        baseBranch: pull.head.ref,
        baseSha: pull.head.sha,
        branch: pull.head.ref,
        targetBranch: pull.base.ref,
        continuesPull: pull.number,
      },
    };
  }
  // A fork's head lives in another repository; the run starts from the
  // fork's commit (fetched through the pull request) but its branch and
  // pull request live here.
  return {
    ok: true,
    target: {
      baseBranch: isFork(pull) ? pull.base.ref : pull.head.ref,
      baseSha: pull.head.sha,
      branch: `${AGENT_PREFIX}pr-${pull.number}`,
      targetBranch: isFork(pull) ? pull.base.ref : pull.head.ref,
      continuesPull: null,
    },
  };
}

function isFork(pull: PullRequestInfo): boolean {
  return pull.head.repoFullName !== pull.base.repoFullName;
}

// Both the author and the branch name must be the app's: a person naming
// their own branch `agent/...` does not make it the app's to push.
function isOwnBranch(pull: PullRequestInfo, botLogin: string): boolean {
  return (
    !isFork(pull) &&
    pull.user.login === botLogin &&
    /^agent\/(?:issue|pr)-\d+$/.test(pull.head.ref)
  );
}
