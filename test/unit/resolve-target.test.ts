import { describe, expect, it } from "vitest";

import type { PullRequestInfo } from "../../app/github/github-client.ts";
import { resolveTarget } from "../../app/github/resolve-target.ts";
import { fakeInstallation, user } from "./fake-installation.ts";

const ref = { owner: "acme", repo: "widgets" };
const BOT = "agent-sandbox[bot]";

function pull(overrides: {
  author?: string;
  headRef?: string;
  headRepo?: string;
}): PullRequestInfo {
  return {
    number: 7,
    title: "t",
    body: "",
    user: user(overrides.author ?? "bob"),
    htmlUrl: "",
    draft: false,
    head: {
      ref: overrides.headRef ?? "feature",
      sha: "h".repeat(40),
      repoFullName: overrides.headRepo ?? "acme/widgets",
    },
    base: { ref: "main", sha: "b".repeat(40), repoFullName: "acme/widgets" },
  };
}

const onIssue = (github: ReturnType<typeof fakeInstallation>) =>
  resolveTarget(github, ref, { kind: "issue", number: 3 }, "main", false, BOT);

const onPull = (p: PullRequestInfo, allowForks = false) =>
  resolveTarget(
    fakeInstallation({ pull: p }),
    ref,
    { kind: "pull_request", number: 7 },
    "main",
    allowForks,
    BOT,
  );

describe("resolveTarget", () => {
  it("starts an issue's run from the default branch on agent/issue-<n>", async () => {
    const github = fakeInstallation({ branches: { main: "m".repeat(40) } });
    expect(await onIssue(github)).toEqual({
      ok: true,
      target: {
        baseBranch: "main",
        baseSha: "m".repeat(40),
        branch: "agent/issue-3",
        targetBranch: "main",
        continuesPull: null,
      },
    });
  });

  it("continues the app's own pull request on the same branch", async () => {
    const result = await onPull(
      pull({ author: BOT, headRef: "agent/issue-3" }),
    );
    expect(result).toMatchObject({
      ok: true,
      target: {
        branch: "agent/issue-3",
        targetBranch: "main",
        continuesPull: 7,
      },
    });
  });

  it("opens a pull request into a person's branch instead of pushing to it", async () => {
    const result = await onPull(pull({ author: "bob", headRef: "feature" }));
    expect(result).toMatchObject({
      ok: true,
      target: {
        baseBranch: "feature",
        baseSha: "h".repeat(40),
        branch: "agent/pr-7",
        targetBranch: "feature",
        continuesPull: null,
      },
    });
  });

  it("does not take over a person's branch that merely looks like the app's", async () => {
    const result = await onPull(
      pull({ author: "bob", headRef: "agent/issue-3" }),
    );
    expect(result).toMatchObject({
      ok: true,
      target: { branch: "agent/pr-7" },
    });
  });

  it("refuses pull requests from forks unless allowed", async () => {
    const fork = pull({ headRepo: "mallory/widgets", headRef: "main" });
    expect(await onPull(fork)).toEqual({ ok: false, refusal: "fork" });
    expect(await onPull(fork, true)).toMatchObject({
      ok: true,
      target: { branch: "agent/pr-7", targetBranch: "main" },
    });
  });

  it("refuses when the default branch does not exist", async () => {
    const github = fakeInstallation({});
    expect(await onIssue(github)).toEqual({
      ok: false,
      refusal: "missing_base",
    });
  });
});
