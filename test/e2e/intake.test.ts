import { describe, expect, it } from "vitest";

import {
  sendWebhook,
  signWebhookBody,
} from "../support/github-simulator/simulator.ts";
import {
  deliveryResult,
  eventually,
  ORG,
  startHarness,
  WEBHOOK_SECRET,
} from "./app-harness.ts";

// The intake half of the App against the simulator, with no worker: what
// happens between a comment and a queued run, and every way of not getting
// one. Runs that actually execute are in agent-fix.test.ts.

const h = await startHarness();
const { sim, db } = h;
const REPO = `${ORG}/widgets`;

await sim.addRepository({
  name: "widgets",
  files: {
    ".github/agent-sandbox.yml": "agent:\n  command: ./fix.sh\n",
    "fix.sh": "#!/bin/sh\necho fixed > FIXED\n",
  },
});
sim.addCollaborator(REPO, "alice", "write");
sim.addCollaborator(REPO, "rita", "read");

async function comment(user: string, body: string, number?: number) {
  const issue =
    number ??
    sim.addIssue({ repository: REPO, title: "Bug", user: "alice" }).number;
  const created = sim.addIssueComment({
    repository: REPO,
    number: issue,
    user,
    body,
  });
  return {
    issue,
    comment: created,
    event: await sim.events.issueComment({ comment: created }),
  };
}

function commentsOn(issue: number) {
  const repositoryId = sim.state.repository(REPO).id;
  return sim.state.issueComments.filter(
    (c) =>
      c.repositoryId === repositoryId &&
      c.issueNumber === issue &&
      c.user === sim.botLogin,
  );
}

async function runsOn(issue: number) {
  const found = await db.query<{
    id: string;
    state: string;
    outcome: string | null;
    branch: string;
  }>(
    "SELECT id, state, outcome, branch FROM runs WHERE repository = $1 AND subject_number = $2",
    [REPO, issue],
  );
  return found.rows;
}

describe("webhook intake", () => {
  it("queues a run for a writer's /agent fix, with a check run, a progress comment and a reaction", async () => {
    const {
      issue,
      comment: c,
      event,
    } = await comment("alice", "/agent fix the typo");
    const response = await h.deliver(event);
    expect(response.status).toBe(200);

    const [run] = await eventually(async () => {
      const runs = await runsOn(issue);
      return runs.length ? runs : null;
    }, "a queued run");
    expect(run).toMatchObject({
      state: "queued",
      branch: `agent/issue-${issue}`,
    });

    const check = await eventually(
      () => sim.state.checkRuns.find((cr) => cr.externalId === run!.id),
      "the check run",
    );
    expect(check.name).toBe("Agent Sandbox");
    expect(check.status).toBe("queued");
    expect(check.headSha).toBe(await sim.branchSha(REPO, "main"));

    await eventually(
      () => commentsOn(issue).length === 1,
      "the progress comment",
    );
    expect(commentsOn(issue)[0]!.body).toMatch(
      /Queued a sandboxed run for @alice/,
    );
    await eventually(
      () =>
        sim.state.reactions.some(
          (r) => r.subject.id === c.id && r.content === "eyes",
        ),
      "the eyes reaction",
    );
  });

  it("treats a redelivery as a no-op", async () => {
    const { issue, event } = await comment("alice", "/agent fix");
    const first = await h.deliver(event, "redelivered-1");
    await eventually(() => deliveryResult(db, "redelivered-1"), "processing");
    const second = await h.deliver(event, "redelivered-1");

    expect([first.status, second.status]).toEqual([200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runsOn(issue)).toHaveLength(1);
    expect(commentsOn(issue)).toHaveLength(1);
  });

  it("refuses someone without write access once, politely, and starts nothing", async () => {
    const { issue, event } = await comment("rita", "/agent fix");
    await h.deliver(event);
    await eventually(() => commentsOn(issue).length === 1, "the refusal");
    expect(commentsOn(issue)[0]!.body).toMatch(/@rita thanks for the request/);
    expect(commentsOn(issue)[0]!.body).not.toMatch(
      /minPermission|agent-sandbox\.yml/,
    );

    const again = await comment("rita", "/agent fix please", issue);
    const response = await h.deliver(again.event);
    await eventually(
      () => deliveryResult(db, response.deliveryId),
      "processing",
    );
    expect(commentsOn(issue)).toHaveLength(1);
    expect(await runsOn(issue)).toEqual([]);
  });

  it("ignores bots and edited comments", async () => {
    sim.state.user("helper[bot]").type = "Bot";
    sim.addCollaborator(REPO, "helper[bot]", "admin");
    const bot = await comment("helper[bot]", "/agent fix");
    await h.deliver(bot.event);

    const edited = await comment("alice", "/agent fix");
    const editEvent = await sim.events.issueComment({
      comment: edited.comment,
      action: "edited",
      previousBody: "hello",
    });
    await h.deliver(editEvent);

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runsOn(bot.issue)).toEqual([]);
    expect(await runsOn(edited.issue)).toEqual([]);
    expect(commentsOn(bot.issue)).toEqual([]);
  });

  it("rejects a delivery with a bad signature before anything is recorded", async () => {
    const { issue, event } = await comment("alice", "/agent fix");
    const response = await sendWebhook(
      `http://127.0.0.1:${h.app.port}/api/github/webhooks`,
      {
        event: event.event,
        payload: event.payload,
        secret: WEBHOOK_SECRET,
        signature: signWebhookBody(
          "not-the-secret",
          JSON.stringify(event.payload),
        ),
      },
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await deliveryResult(db, response.deliveryId)).toBeNull();
    expect(await runsOn(issue)).toEqual([]);
  });

  it("answers a second /agent fix with a link to the run in progress", async () => {
    const first = await comment("alice", "/agent fix");
    await h.deliver(first.event);
    await eventually(
      () => commentsOn(first.issue).length === 1,
      "first run queued",
    );
    await eventually(
      async () =>
        (await runsOn(first.issue)).length === 1 &&
        sim.state.checkRuns.some((cr) => cr.headSha && cr.status === "queued"),
      "check run",
    );

    const second = await comment("alice", "/agent fix again", first.issue);
    await h.deliver(second.event);
    await eventually(
      () => commentsOn(first.issue).length === 2,
      "the busy reply",
    );
    expect(commentsOn(first.issue)[1]!.body).toMatch(
      /a run is already queued here/,
    );
    expect(await runsOn(first.issue)).toHaveLength(1);
  });

  it("cancels a queued run and completes its check run", async () => {
    const { issue, event } = await comment("alice", "/agent fix");
    await h.deliver(event);
    const [run] = await eventually(async () => {
      const runs = await runsOn(issue);
      return runs.length ? runs : null;
    }, "a queued run");
    await eventually(
      () => sim.state.checkRuns.find((cr) => cr.externalId === run!.id),
      "the check run",
    );

    const cancel = await comment("alice", "/agent cancel", issue);
    await h.deliver(cancel.event);
    const check = await eventually(
      () =>
        sim.state.checkRuns.find(
          (cr) => cr.externalId === run!.id && cr.status === "completed",
        ),
      "the completed check run",
    );
    expect(check.conclusion).toBe("cancelled");
    expect((await runsOn(issue))[0]).toMatchObject({
      state: "finished",
      outcome: "cancelled",
    });
  });

  it("refuses a run when the policy file is invalid, listing every problem", async () => {
    await sim.addRepository({
      name: "broken",
      files: {
        ".github/agent-sandbox.yml":
          "agent:\n  preset: gpt\nlimits:\n  cpus: 0\nunknownKey: 1\n",
      },
    });
    sim.addCollaborator(`${ORG}/broken`, "alice", "admin");
    const issue = sim.addIssue({
      repository: `${ORG}/broken`,
      title: "x",
      user: "alice",
    });
    const c = sim.addIssueComment({
      repository: `${ORG}/broken`,
      number: issue.number,
      user: "alice",
      body: "/agent fix",
    });
    await h.deliver(await sim.events.issueComment({ comment: c }));

    const reply = await eventually(
      () =>
        sim.state.issueComments.find(
          (x) =>
            x.issueNumber === issue.number &&
            x.user === sim.botLogin &&
            x.repositoryId === sim.state.repository(`${ORG}/broken`).id,
        ),
      "the policy reply",
    );
    expect(reply.body).toMatch(/policy is not valid/);
    expect(reply.body).toMatch(/agent\.preset/);
    expect(reply.body).toMatch(/limits\.cpus/);
    expect(reply.body).toMatch(/unknownKey/);
    const runs = await db.query("SELECT 1 FROM runs WHERE repository = $1", [
      `${ORG}/broken`,
    ]);
    expect(runs.rowCount).toBe(0);
  });

  it("answers /agent help and malformed commands with the help text", async () => {
    const { issue, event } = await comment("alice", "/agent deploy");
    await h.deliver(event);
    const reply = await eventually(
      () => commentsOn(issue)[0],
      "the help reply",
    );
    expect(reply.body).toMatch(/not a command I know/);
    expect(reply.body).toMatch(/\/agent fix/);
    expect(await runsOn(issue)).toEqual([]);
  });

  it("mints installation tokens through the configured GHE host", () => {
    // With the Probot 14.3 shortcut these requests would have gone to
    // api.github.com and every call above would have failed.
    const mints = sim.state.requests.filter(
      (r) => r.method === "POST" && /\/access_tokens$/.test(r.path),
    );
    expect(mints.length).toBeGreaterThan(0);
    // Each mint names one repository; only the organisation's `.github`
    // repository, which these tests never create, is refused.
    for (const mint of mints) {
      const asked = (mint.body as { repositories?: string[] }).repositories;
      expect(mint.status).toBe(asked?.[0] === ".github" ? 422 : 201);
    }
    expect(mints.some((r) => r.status === 201)).toBe(true);
  });

  it("narrows every token it mints to one repository, never with write to contents, and revokes them all by shutdown", async () => {
    await h.app.stop();

    expect(sim.state.tokens.length).toBeGreaterThan(0);
    for (const token of sim.state.tokens) {
      expect(token.repositoryIds).toHaveLength(1);
      expect(token.permissions.contents).not.toBe("write");
      expect(token.revokedAt).not.toBeNull();
    }
  });
});
