import { createServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import { verify } from "@octokit/webhooks-methods";
import { createProbot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  mintInstallationToken,
  probotFor,
  restCall,
} from "../support/github-simulator/clients.ts";
import {
  generateAppKeyPair,
  sendWebhook,
  startGitHubSimulator,
  type GitHubSimulator,
} from "../support/github-simulator/simulator.ts";

let sim: GitHubSimulator;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "github-simulator-test-"));
  sim = await startGitHubSimulator({
    appId: 31337,
    privateKeyPem: generateAppKeyPair().privateKeyPem,
  });
  await sim.addRepository({
    name: "widgets",
    files: { ".github/agent-sandbox.yml": "agent:\n  command: make fix\n" },
  });
  await sim.addRepository({ name: "gadgets" });
  sim.addCollaborator("acme/widgets", "alice", "admin");
  sim.addCollaborator("acme/widgets", "mona", "maintain");
  sim.addCollaborator("acme/widgets", "wes", "write");
  sim.addCollaborator("acme/widgets", "tria", "triage");
  sim.addCollaborator("acme/widgets", "rhea", "read");
});

afterAll(async () => {
  await sim?.close();
  await rm(scratch, { recursive: true, force: true });
});

const mint = (narrowing: Parameters<typeof mintInstallationToken>[1]) =>
  mintInstallationToken(sim, narrowing);
const tokenId = (token: string) => sim.state.findToken(token)?.id ?? -1;

describe("the App and its installation", () => {
  it("serves Probot configured by GHE_HOST and GHE_PROTOCOL, checking the App's JWT", async () => {
    const app = await probotFor(sim).auth();
    const { data } = await app.request("GET /app");
    expect(data?.slug).toBe("agent-sandbox");

    const { data: installation } = await app.request(
      "GET /repos/{owner}/{repo}/installation",
      { owner: "acme", repo: "widgets" },
    );
    expect(installation.id).toBe(sim.installationId);
    expect(sim.state.requests.at(-1)).toMatchObject({
      path: "/repos/acme/widgets/installation",
      auth: "app",
      status: 200,
    });
    const { data: byOrg } = await app.request("GET /orgs/{org}/installation", {
      org: "acme",
    });
    expect(byOrg).toMatchObject({ account: { login: "acme" } });
    const { data: all } = await app.request("GET /app/installations");
    expect(all.map((i) => i.id)).toEqual([sim.installationId]);
    await expect(
      app.request("GET /orgs/{org}/installation", { org: "elsewhere" }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("answers Probot's installation client with a token it minted", async () => {
    const octokit = await probotFor(sim).auth(sim.installationId);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}", {
      owner: "acme",
      repo: "widgets",
    });
    expect(data).toMatchObject({ full_name: "acme/widgets", fork: false });
  });

  it("refuses a JWT signed by another key, and an installation token on /app", async () => {
    const stranger = createProbot({
      env: {
        APP_ID: String(sim.appId),
        PRIVATE_KEY: generateAppKeyPair().privateKeyPem,
        GHE_HOST: sim.host,
        GHE_PROTOCOL: "http",
        LOG_LEVEL: "fatal",
      },
    });
    const app = await stranger.auth();
    await expect(app.request("GET /app")).rejects.toMatchObject({
      status: 401,
    });

    const token = await mint({ repositories: ["widgets"] });
    expect((await restCall(sim, token, "GET", "/app")).status).toBe(401);
  });
});

describe("installation tokens", () => {
  it("records the narrowing and honours it for repositories and permissions", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    expect(sim.state.findToken(token)?.requested).toEqual({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });

    expect(
      (await restCall(sim, token, "GET", "/repos/acme/widgets")).status,
    ).toBe(200);
    expect(
      (await restCall(sim, token, "GET", "/repos/acme/gadgets")).status,
    ).toBe(404);
    const check = await restCall(
      sim,
      token,
      "POST",
      "/repos/acme/widgets/check-runs",
      {
        name: "x",
        head_sha: await sim.branchSha("acme/widgets", "main"),
      },
    );
    expect(check).toMatchObject({
      status: 403,
      body: { message: "Resource not accessible by integration" },
    });
  });

  it("refuses to mint beyond the installation", async () => {
    const refused: Array<Parameters<typeof mint>[0]> = [
      { repositories: ["elsewhere"] },
      { permissions: { workflows: "write" } },
      { permissions: { issues: "admin" } },
    ];
    for (const narrowing of refused) {
      await expect(mint(narrowing)).rejects.toMatchObject({ status: 422 });
    }
  });

  it("stops honouring a token once revoked or expired", async () => {
    const token = await mint({ repositories: ["widgets"] });
    expect(
      (await restCall(sim, token, "DELETE", "/installation/token")).status,
    ).toBe(204);
    expect(
      (await restCall(sim, token, "GET", "/repos/acme/widgets")).status,
    ).toBe(401);
    expect(sim.state.findToken(token)?.revokedAt).toBeInstanceOf(Date);

    const expiring = await mint({ repositories: ["widgets"] });
    sim.state.expireToken(tokenId(expiring));
    expect(
      (await restCall(sim, expiring, "GET", "/repos/acme/widgets")).status,
    ).toBe(401);
  });

  it("records every request with the token that made it", async () => {
    const token = await mint({
      repositories: ["gadgets"],
      permissions: { metadata: "read" },
    });
    await restCall(sim, token, "GET", "/repos/acme/gadgets");
    await restCall(sim, token, "GET", "/repos/acme/gadgets/issues/1");
    expect(sim.state.requestsWithToken(tokenId(token))).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/repos/acme/gadgets",
        status: 200,
      }),
      expect.objectContaining({
        path: "/repos/acme/gadgets/issues/1",
        status: 404,
      }),
    ]);
  });
});

describe("collaborator permissions", () => {
  it("reports the coarse permission beside the fine role, as GitHub does", async () => {
    const token = await mint({ repositories: ["widgets"] });
    const expected: Record<string, [string, string]> = {
      alice: ["admin", "admin"],
      mona: ["write", "maintain"],
      wes: ["write", "write"],
      tria: ["read", "triage"],
      rhea: ["read", "read"],
      stranger: ["none", "none"],
    };
    for (const [login, [permission, role]] of Object.entries(expected)) {
      const route = `/repos/acme/widgets/collaborators/${login}/permission`;
      const { body } = await restCall(sim, token, "GET", route);
      expect(body).toMatchObject({
        permission,
        role_name: role,
        user: { login },
      });
    }
  });
});

describe("webhooks", () => {
  async function capture(deliver: (url: string) => Promise<unknown>) {
    const seen: Array<{ body: string; headers: Record<string, string> }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        seen.push({ body, headers: req.headers as Record<string, string> });
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    try {
      await deliver(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      );
    } finally {
      server.close();
    }
    return seen;
  }

  it("signs deliveries so @octokit/webhooks-methods verifies them", async () => {
    const { issue, comment } = sim.addCommentedIssue({
      repository: "acme/widgets",
      title: "Broken",
      user: "alice",
      comment: "/agent fix",
    });
    const { event, payload } = await sim.events.issueComment({ comment });
    const [got] = await capture((url) =>
      sendWebhook(url, { event, payload, secret: "s3cret", deliveryId: "d-1" }),
    );
    const signature = got!.headers["x-hub-signature-256"]!;
    expect(got!.headers).toMatchObject({
      "x-github-event": "issue_comment",
      "x-github-delivery": "d-1",
    });
    expect(await verify("s3cret", got!.body, signature)).toBe(true);
    expect(await verify("other", got!.body, signature)).toBe(false);
    expect(JSON.parse(got!.body)).toMatchObject({
      action: "created",
      issue: { number: issue.number },
      comment: { id: comment.id, body: "/agent fix" },
      installation: { id: sim.installationId },
      sender: { login: "alice", type: "User" },
    });

    const edited = await sim.events.issueComment({
      comment,
      action: "edited",
      previousBody: "/agent help",
    });
    expect(edited.payload).toMatchObject({
      action: "edited",
      changes: { body: { from: "/agent help" } },
    });
  });

  it("builds installation payloads", async () => {
    const { event, payload } = await sim.events.installationRepositories({
      added: ["acme/gadgets"],
      sender: "alice",
    });
    expect(event).toBe("installation_repositories");
    expect(payload).toMatchObject({
      action: "added",
      installation: { id: sim.installationId, account: { login: "acme" } },
      repositories_added: [{ full_name: "acme/gadgets" }],
    });
    const created = await sim.events.installation({
      action: "created",
      sender: "alice",
    });
    expect(created.payload).toMatchObject({
      action: "created",
      repositories: expect.arrayContaining([
        expect.objectContaining({ full_name: "acme/widgets" }),
      ]),
    });
  });

  it("builds review, review comment and check run payloads with real ids", async () => {
    const pull = await sim.addPullRequest({
      repository: "acme/widgets",
      title: "Tweak",
      user: "wes",
      head: "wes/tweak",
    });
    const reviewComment = await sim.addReviewComment({
      repository: "acme/widgets",
      number: pull.number,
      user: "dependabot[bot]",
      body: "/agent fix",
      path: "README.md",
      line: 1,
    });
    const onPull = sim.addIssueComment({
      repository: "acme/widgets",
      number: pull.number,
      user: "wes",
      body: "/agent fix",
    });
    const conversation = await sim.events.issueComment({ comment: onPull });
    expect(conversation.payload).toMatchObject({
      issue: { number: pull.number, pull_request: { url: expect.any(String) } },
    });

    const onLine = await sim.events.pullRequestReviewComment({
      comment: reviewComment,
    });
    expect(onLine.payload).toMatchObject({
      comment: {
        id: reviewComment.id,
        path: "README.md",
        diff_hunk: expect.any(String),
      },
      pull_request: { number: pull.number, head: { ref: "wes/tweak" } },
      sender: { login: "dependabot[bot]", type: "Bot" },
    });

    const review = await sim.addReview({
      repository: "acme/widgets",
      number: pull.number,
      user: "alice",
      body: "/agent fix please",
      state: "changes_requested",
    });
    const reviewed = await sim.events.pullRequestReview({ review });
    expect(reviewed).toMatchObject({
      event: "pull_request_review",
      payload: {
        action: "submitted",
        review: { id: review.id, state: "changes_requested" },
      },
    });

    const token = await mint({
      repositories: ["widgets"],
      permissions: { checks: "write" },
    });
    const created = await restCall(
      sim,
      token,
      "POST",
      "/repos/acme/widgets/check-runs",
      {
        name: "Agent Sandbox",
        head_sha: await sim.branchSha("acme/widgets", "main"),
        status: "in_progress",
        actions: [
          {
            label: "Cancel",
            description: "Stop this run",
            identifier: "cancel",
          },
        ],
      },
    );
    const checkRun = sim.state.checkRuns.find(
      (r) => r.id === (created.body as { id: number }).id,
    )!;
    const pressed = await sim.events.checkRunRequestedAction({
      checkRun,
      identifier: "cancel",
      sender: "alice",
    });
    expect(pressed.payload).toMatchObject({
      action: "requested_action",
      requested_action: { identifier: "cancel" },
      check_run: {
        id: checkRun.id,
        name: "Agent Sandbox",
        app: { id: sim.appId },
      },
      installation: { id: sim.installationId },
    });
  });
});
