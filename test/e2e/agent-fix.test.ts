import { beforeAll, describe, expect, it } from "vitest";

import { runSandbox } from "../../runner/run-sandbox.ts";
import {
  createSandboxHost,
  sweepLeftovers,
} from "../../app/runs/sandbox-host.ts";
import { dockerAvailable } from "../support/docker.ts";
import { eventually, ORG, startHarness } from "./app-harness.ts";

// Real runs: the app, the simulator, Postgres, the runner image and Docker.
// The image is built (or found) once for the whole file, and every scenario
// below goes through the same app.

const docker = await dockerAvailable();
const RUN_MS = 150_000;

describe.skipIf(!docker)("/agent fix end to end", async () => {
  const h = await startHarness({ WORKER_CONCURRENCY: "2" });
  const { sim } = h;

  beforeAll(async () => {
    const host = await createSandboxHost(h.config, h.db, h.log);
    h.app.attachSandbox({
      run: (spec, context) => runSandbox(spec, host, context),
      sweep: () => sweepLeftovers(host, h.db, h.log),
    });
  });

  async function repository(name: string, policy: string) {
    const full = `${ORG}/${name}`;
    await sim.addRepository({
      name,
      files: { ".github/agent-sandbox.yml": policy, "src/app.txt": "v1\n" },
    });
    sim.addCollaborator(full, "alice", "write");
    return full;
  }

  async function ask(full: string, body = "/agent fix the bug") {
    const issue = sim.addIssue({
      repository: full,
      title: "Greeting is wrong",
      body: "It should say hello.",
      user: "alice",
    });
    const comment = sim.addIssueComment({
      repository: full,
      number: issue.number,
      user: "alice",
      body,
    });
    const response = await h.deliver(
      await sim.events.issueComment({ comment }),
    );
    expect(response.status).toBe(200);
    return issue.number;
  }

  async function runOf(full: string, issue: number) {
    return eventually(async () => {
      const found = await h.db.query<{ id: string }>(
        "SELECT id FROM runs WHERE repository = $1 AND subject_number = $2",
        [full, issue],
      );
      return found.rows[0]?.id;
    }, "the run");
  }

  function completedCheck(full: string, runId: string) {
    const repositoryId = sim.state.repository(full).id;
    return eventually(
      () =>
        sim.state.checkRuns.find(
          (check) =>
            check.repositoryId === repositoryId &&
            check.externalId === runId &&
            check.status === "completed",
        ),
      "the completed check run",
      RUN_MS,
    );
  }

  function progressComment(full: string, issue: number) {
    const repositoryId = sim.state.repository(full).id;
    return sim.state.issueComments.find(
      (c) =>
        c.repositoryId === repositoryId &&
        c.issueNumber === issue &&
        c.user === sim.botLogin &&
        c.body.includes("agent-sandbox run"),
    );
  }

  it("ends with a draft pull request, a completed check run and main untouched", async () => {
    const full = await repository(
      "happy",
      "agent:\n  command: echo hello > src/app.txt\n",
    );
    const mainBefore = await sim.branchSha(full, "main");
    const issue = await ask(full);
    const runId = await runOf(full, issue);

    const check = await completedCheck(full, runId);
    expect(check.conclusion).toBe("success");
    expect(check.output?.summary).toMatch(
      /Requested by: @alice \(permission: write\)/,
    );
    expect(check.output?.summary).toMatch(/Audit chain head: `[0-9a-f]{64}`/);
    expect(check.output?.summary).toMatch(/`src\/app\.txt`/);
    expect(check.headSha).toBe(mainBefore);

    const branch = `agent/issue-${issue}`;
    expect(await sim.readFile(full, branch, "src/app.txt")).toBe("hello\n");
    expect(await sim.branchSha(full, "main")).toBe(mainBefore);

    const pull = await eventually(
      () =>
        sim.state
          .pulls(sim.state.repository(full).id)
          .find((p) => p.pull.headRef === branch),
      "the pull request",
    );
    expect(pull.pull.draft).toBe(true);
    expect(pull.pull.baseRef).toBe("main");
    expect(pull.body).toMatch(new RegExp(`Fixes #${issue}`));
    expect(pull.pull.requestedReviewers).toContain("alice");
    const headSha = await sim.branchSha(full, branch);
    const onHead = sim.state.checkRuns.find(
      (c) => c.headSha === headSha && c.externalId === runId,
    );
    expect(onHead?.conclusion).toBe("success");

    const progress = await eventually(() => {
      const found = progressComment(full, issue);
      return found?.body.includes("The agent finished") ? found : undefined;
    }, "the final progress comment");
    expect(progress.body).toContain(`/pull/${pull.number}`);

    // Every token git saw was narrowed to this repository and to contents
    // only, and was revoked after use.
    const repoId = sim.state.repository(full).id;
    const gitTokens = sim.state
      .tokensUsedForGit()
      .filter((t) => t.repositoryIds?.includes(repoId));
    expect(gitTokens.length).toBeGreaterThanOrEqual(2);
    for (const token of gitTokens) {
      expect(token.repositoryIds).toEqual([repoId]);
      expect(Object.keys(token.permissions)).toEqual(["contents"]);
      expect(token.revokedAt).not.toBeNull();
    }
    expect(gitTokens.some((t) => t.permissions.contents === "write")).toBe(
      true,
    );
  });

  it("reports a failing agent with the failure and a final comment, on the base commit", async () => {
    const full = await repository(
      "failing",
      "agent:\n  command: \"echo '@octocat see #1' && exit 3\"\n",
    );
    const mainBefore = await sim.branchSha(full, "main");
    const issue = await ask(full);
    const check = await completedCheck(full, await runOf(full, issue));

    expect(check.conclusion).toBe("failure");
    expect(check.headSha).toBe(mainBefore);
    expect(check.output?.summary).toMatch(/Agent exit code: 3/);
    // The agent's output appears only inside a code block.
    expect(check.output?.text).toMatch(/```+text\n[\s\S]*@octocat see #1/);
    await eventually(
      () => progressComment(full, issue)?.body.includes("exited with code 3"),
      "the failure comment",
    );
  });

  it("marks a push that touches a protected path as needing action", async () => {
    const full = await repository(
      "protected",
      "agent:\n  command: mkdir -p .github/workflows && echo x > .github/workflows/ci.yml\n",
    );
    const issue = await ask(full);
    const check = await completedCheck(full, await runOf(full, issue));
    expect(check.conclusion).toBe("action_required");
    expect(check.output?.summary).toMatch(/rejected/);
    expect(await sim.branchSha(full, `agent/issue-${issue}`)).toBeNull();
  });

  it("stops a run at its time limit", async () => {
    const full = await repository(
      "slow",
      "agent:\n  command: sleep 120\nlimits:\n  timeout: 5\n",
    );
    const issue = await ask(full);
    const check = await completedCheck(full, await runOf(full, issue));
    expect(check.conclusion).toBe("timed_out");
  });

  it("cancels a running run from the check run's Cancel button", async () => {
    const full = await repository("cancel", "agent:\n  command: sleep 120\n");
    const issue = await ask(full);
    const runId = await runOf(full, issue);
    const running = await eventually(
      () =>
        sim.state.checkRuns.find(
          (c) => c.externalId === runId && c.status === "in_progress",
        ),
      "the running check run",
      RUN_MS,
    );
    expect(running.actions.map((a) => a.identifier)).toEqual(["cancel"]);
    // Give the container a moment to start before pressing the button.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await h.deliver(
      await sim.events.checkRunRequestedAction({
        checkRun: running,
        identifier: "cancel",
        sender: "alice",
      }),
    );

    const check = await completedCheck(full, runId);
    expect(check.conclusion).toBe("cancelled");
    expect(await sim.branchSha(full, `agent/issue-${issue}`)).toBeNull();
  });
});
