import type { SimulatorUrls } from "./router.ts";
import {
  accountJson,
  checkRunJson,
  installationJson,
  repoJson,
  userJson,
} from "./serialize.ts";
import {
  issueCommentJson,
  issueJson,
  pullJson,
  reviewCommentJson,
  reviewJson,
} from "./serialize-threads.ts";
import type {
  SimCheckRun,
  SimIssueComment,
  SimReview,
  SimReviewComment,
  SimulatorState,
} from "./state.ts";

/** A webhook ready for `sendWebhook`: the event name and its payload. */
export interface WebhookEvent {
  event: string;
  payload: Record<string, unknown>;
}

export interface EventBuilders {
  /** `issue_comment` for a comment on an issue or a pull request. */
  issueComment(options: {
    comment: SimIssueComment;
    action?: "created" | "edited" | "deleted";
    /** The previous body, for `edited`. */
    previousBody?: string;
    /** Who acted; defaults to the comment's author. */
    sender?: string;
  }): Promise<WebhookEvent>;
  pullRequestReviewComment(options: {
    comment: SimReviewComment;
    action?: "created" | "edited" | "deleted";
    sender?: string;
  }): Promise<WebhookEvent>;
  pullRequestReview(options: {
    review: SimReview;
    action?: "submitted" | "edited" | "dismissed";
    sender?: string;
  }): Promise<WebhookEvent>;
  /** The App was installed on, or removed from, the organisation. */
  installation(options: {
    action: "created" | "deleted" | "suspend" | "unsuspend";
    sender: string;
  }): Promise<WebhookEvent>;
  /** Repositories were added to or removed from the installation. */
  installationRepositories(options: {
    added?: string[];
    removed?: string[];
    sender: string;
  }): Promise<WebhookEvent>;
  /** A person pressed one of a check run's buttons. */
  checkRunRequestedAction(options: {
    checkRun: SimCheckRun;
    identifier: string;
    sender: string;
  }): Promise<WebhookEvent>;
}

/**
 * Payloads shaped like GitHub's, built from the simulator's state so that
 * every id in them (comment, issue, check run) is one the REST endpoints
 * know.
 */
export function createEventBuilders(
  state: SimulatorState,
  urls: SimulatorUrls,
): EventBuilders {
  const common = (repositoryId: number, sender: string) => {
    const repo = state.repositoryById(repositoryId);
    const isOrg =
      repo.owner.toLowerCase() === state.installation.account.toLowerCase();
    return {
      repository: repoJson(state, repo, urls),
      ...(isOrg && {
        organization: {
          login: state.installation.account,
          id: state.user(state.installation.account).id,
        },
      }),
      installation: {
        id: state.installation.id,
        node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${state.installation.id}`,
      },
      sender: userJson(state, sender, urls),
    };
  };

  // Installation events list repositories in this short form.
  const brief = (fullName: string) => {
    const repo = state.repository(fullName);
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      owner: accountJson(state, repo.owner, urls),
    };
  };

  const pullOf = (repositoryId: number, number: number) => {
    const pull = state.pulls(repositoryId).find((p) => p.number === number);
    if (!pull) throw new Error(`simulator: no pull request #${number}`);
    return pull;
  };

  return {
    async issueComment({ comment, action = "created", previousBody, sender }) {
      const issue = state.findIssue(comment.repositoryId, comment.issueNumber);
      if (!issue)
        throw new Error(`simulator: no issue #${comment.issueNumber}`);
      return {
        event: "issue_comment",
        payload: {
          action,
          issue: issueJson(state, issue, urls),
          comment: issueCommentJson(state, comment, urls),
          ...(action === "edited" && {
            changes: { body: { from: previousBody ?? "" } },
          }),
          ...common(comment.repositoryId, sender ?? comment.user),
        },
      };
    },

    async pullRequestReviewComment({ comment, action = "created", sender }) {
      const pull = pullOf(comment.repositoryId, comment.pullNumber);
      return {
        event: "pull_request_review_comment",
        payload: {
          action,
          comment: reviewCommentJson(state, comment, urls),
          pull_request: await pullJson(state, pull, urls),
          ...common(comment.repositoryId, sender ?? comment.user),
        },
      };
    },

    async pullRequestReview({ review, action = "submitted", sender }) {
      const pull = pullOf(review.repositoryId, review.pullNumber);
      return {
        event: "pull_request_review",
        payload: {
          action,
          review: reviewJson(state, review, urls),
          pull_request: await pullJson(state, pull, urls),
          ...common(review.repositoryId, sender ?? review.user),
        },
      };
    },

    async installation({ action, sender }) {
      const repositories = [...state.repositories.values()]
        .filter((repo) => repo.installed)
        .map((repo) => brief(repo.fullName));
      return {
        event: "installation",
        payload: {
          action,
          installation: installationJson(state, urls),
          repositories,
          sender: userJson(state, sender, urls),
        },
      };
    },

    async installationRepositories({ added = [], removed = [], sender }) {
      return {
        event: "installation_repositories",
        payload: {
          action: added.length > 0 ? "added" : "removed",
          installation: installationJson(state, urls),
          repository_selection: "selected",
          repositories_added: added.map(brief),
          repositories_removed: removed.map(brief),
          requester: null,
          sender: userJson(state, sender, urls),
        },
      };
    },

    async checkRunRequestedAction({ checkRun, identifier, sender }) {
      const run = checkRunJson(state, checkRun, urls);
      return {
        event: "check_run",
        payload: {
          action: "requested_action",
          check_run: {
            ...run,
            check_suite: {
              id: checkRun.id * 10,
              head_sha: checkRun.headSha,
              status: checkRun.status,
              conclusion: checkRun.conclusion,
            },
          },
          requested_action: { identifier },
          ...common(checkRun.repositoryId, sender),
        },
      };
    },
  };
}
