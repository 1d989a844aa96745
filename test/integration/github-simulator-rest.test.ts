import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  mintInstallationToken,
  restCall,
} from "../support/github-simulator/clients.ts";
import {
  startGitHubSimulator,
  type GitHubSimulator,
} from "../support/github-simulator/simulator.ts";

const POLICY = "agent:\n  command: make fix\n";

let sim: GitHubSimulator;
let token: string;

beforeAll(async () => {
  sim = await startGitHubSimulator({ appId: 777 });
  await sim.addRepository({
    name: "widgets",
    files: { ".github/agent-sandbox.yml": POLICY },
  });
  await sim.addRepository({
    name: ".github",
    files: { "agent-sandbox.yml": "limits:\n  timeout: 10m\n" },
  });
  await sim.addRepository({
    owner: "bob",
    name: "widgets",
    forkOf: "acme/widgets",
  });
  sim.addCollaborator("acme/widgets", "alice", "write");
  token = await mintInstallationToken(sim);
});

afterAll(async () => {
  await sim?.close();
});

const call = (method: string, route: string, body?: unknown) =>
  restCall(sim, token, method, route, body);

describe("answers like GitHub where nothing matches", () => {
  it("says Not Found in JSON for unknown endpoints and paths outside the API", async () => {
    for (const route of ["/repos/acme/widgets/deployments", "/nope"]) {
      expect(await call("GET", route)).toMatchObject({
        status: 404,
        body: { message: "Not Found" },
      });
    }
    const outside = await fetch(`${sim.url}/repos/acme/widgets`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ message: "Not Found" });
  });
});

describe("repository contents and refs", () => {
  it("serves a policy file in base64, raw on request, and 404 when absent", async () => {
    const file = await call(
      "GET",
      "/repos/acme/widgets/contents/.github%2Fagent-sandbox.yml",
    );
    expect(file).toMatchObject({
      status: 200,
      body: {
        type: "file",
        encoding: "base64",
        path: ".github/agent-sandbox.yml",
      },
    });
    const content = (file.body as { content: string }).content;
    expect(Buffer.from(content, "base64").toString("utf8")).toBe(POLICY);

    const raw = await restCall(
      sim,
      token,
      "GET",
      "/repos/acme/widgets/contents/.github/agent-sandbox.yml",
      undefined,
      "application/vnd.github.raw",
    );
    expect(raw.body).toBe(POLICY);

    const org = await call(
      "GET",
      "/repos/acme/.github/contents/agent-sandbox.yml",
    );
    expect(org.status).toBe(200);
    expect(
      (await call("GET", "/repos/acme/widgets/contents/missing.yml")).status,
    ).toBe(404);
    const folder = await call("GET", "/repos/acme/widgets/contents/.github");
    expect(folder.body).toEqual([
      expect.objectContaining({ name: "agent-sandbox.yml", type: "file" }),
    ]);
  });

  it("reads contents at a ref and follows later commits", async () => {
    const before = await sim.branchSha("acme/widgets", "main");
    await sim.setFile("acme/widgets", "docs/new.md", "new\n");
    const atOld = await call(
      "GET",
      `/repos/acme/widgets/contents/docs/new.md?ref=${before}`,
    );
    expect(atOld.status).toBe(404);
    expect(
      (await call("GET", "/repos/acme/widgets/contents/docs/new.md")).status,
    ).toBe(200);
  });

  it("resolves branches, slashes included, through git/ref and branches", async () => {
    const sha = await sim.setFile("acme/widgets", "x.txt", "x\n", {
      branch: "agent/issue-9",
    });
    const ref = await call(
      "GET",
      "/repos/acme/widgets/git/ref/heads%2Fagent%2Fissue-9",
    );
    expect(ref.body).toMatchObject({
      ref: "refs/heads/agent/issue-9",
      object: { sha },
    });
    const branch = await call(
      "GET",
      "/repos/acme/widgets/branches/agent/issue-9",
    );
    expect(branch.body).toMatchObject({
      name: "agent/issue-9",
      commit: { sha },
    });
    expect(
      (await call("GET", "/repos/acme/widgets/git/ref/heads/absent")).status,
    ).toBe(404);
  });

  it("describes forks with their parent", async () => {
    const fork = await call("GET", "/repos/bob/widgets");
    // The fork belongs to bob, outside the installation.
    expect(fork.status).toBe(404);
    const repo = sim.state.repository("bob/widgets");
    expect(repo.forkOf).toBe("acme/widgets");
    const upstream = await call("GET", "/repos/acme/widgets");
    expect(upstream.body).toMatchObject({
      fork: false,
      default_branch: "main",
      private: true,
    });
  });
});

describe("issue comments and reactions", () => {
  it("creates, lists and edits the App's own comments", async () => {
    const { issue, comment: theirs } = sim.addCommentedIssue({
      repository: "acme/widgets",
      title: "Bug",
      user: "alice",
      comment: "/agent fix",
    });
    const route = `/repos/acme/widgets/issues/${issue.number}/comments`;
    const created = await call("POST", route, { body: "Queued." });
    expect(created).toMatchObject({
      status: 201,
      body: { body: "Queued.", user: { login: sim.botLogin, type: "Bot" } },
    });
    const id = (created.body as { id: number }).id;

    const edited = await call(
      "PATCH",
      `/repos/acme/widgets/issues/comments/${id}`,
      { body: "Running." },
    );
    expect(edited.body).toMatchObject({ id, body: "Running." });
    const list = await call("GET", route);
    expect((list.body as Array<{ body: string }>).map((c) => c.body)).toEqual([
      "/agent fix",
      "Running.",
    ]);

    const tamper = await call(
      "PATCH",
      `/repos/acme/widgets/issues/comments/${theirs.id}`,
      { body: "x" },
    );
    expect(tamper.status).toBe(403);
    const tooLong = await call("POST", route, { body: "x".repeat(65_537) });
    expect(tooLong.status).toBe(422);
  });

  it("adds a reaction once and names a repeat as the existing one", async () => {
    const { comment } = sim.addCommentedIssue({
      repository: "acme/widgets",
      title: "Eyes",
      user: "alice",
      comment: "/agent fix",
    });
    const route = `/repos/acme/widgets/issues/comments/${comment.id}/reactions`;
    expect((await call("POST", route, { content: "eyes" })).status).toBe(201);
    expect((await call("POST", route, { content: "eyes" })).status).toBe(200);
    expect((await call("POST", route, { content: "party" })).status).toBe(422);
    expect(
      sim.state.reactions.filter((r) => r.subject.id === comment.id),
    ).toEqual([
      expect.objectContaining({ content: "eyes", user: sim.botLogin }),
    ]);
  });

  it("reacts to review comments with pull_requests permission", async () => {
    const pull = await sim.addPullRequest({
      repository: "acme/widgets",
      title: "Review me",
      user: "alice",
      head: "alice/review",
    });
    const comment = await sim.addReviewComment({
      repository: "acme/widgets",
      number: pull.number,
      user: "alice",
      body: "/agent fix",
      path: "README.md",
      line: 1,
    });
    const issuesOnly = await mintInstallationToken(sim, {
      repositories: ["widgets"],
      permissions: { issues: "write" },
    });
    const route = `/repos/acme/widgets/pulls/comments/${comment.id}/reactions`;
    expect(
      (await restCall(sim, issuesOnly, "POST", route, { content: "eyes" }))
        .status,
    ).toBe(403);
    expect((await call("POST", route, { content: "eyes" })).status).toBe(201);

    const asIssue = await call(
      "GET",
      `/repos/acme/widgets/issues/${pull.number}`,
    );
    expect(asIssue.body).toMatchObject({
      number: pull.number,
      pull_request: expect.any(Object),
    });
  });
});

describe("pull requests", () => {
  it("opens a draft pull request from a pushed branch, once", async () => {
    await sim.setFile("acme/widgets", "fix.txt", "fixed\n", {
      branch: "agent/issue-1",
    });
    const create = () =>
      call("POST", "/repos/acme/widgets/pulls", {
        title: "Fix the bug",
        head: "agent/issue-1",
        base: "main",
        body: "Fixes #1",
        draft: true,
      });
    const first = await create();
    expect(first).toMatchObject({
      status: 201,
      body: {
        draft: true,
        state: "open",
        head: { ref: "agent/issue-1" },
        base: { ref: "main" },
      },
    });
    const number = (first.body as { number: number }).number;
    expect(await sim.refSha("acme/widgets", `refs/pull/${number}/head`)).toBe(
      await sim.branchSha("acme/widgets", "agent/issue-1"),
    );
    expect((await create()).status).toBe(422);

    const empty = await call("POST", "/repos/acme/widgets/pulls", {
      title: "Nothing",
      head: "main",
      base: "main",
    });
    expect(empty.status).toBe(422);
  });

  it("mirrors a fork's pull request head into the base repository", async () => {
    const pull = await sim.addPullRequest({
      repository: "acme/widgets",
      headRepository: "bob/widgets",
      title: "From a fork",
      user: "bob",
      head: "patch-1",
    });
    const headSha = await sim.branchSha("bob/widgets", "patch-1");
    expect(
      await sim.refSha("acme/widgets", `refs/pull/${pull.number}/head`),
    ).toBe(headSha);
    const answer = await call(
      "GET",
      `/repos/acme/widgets/pulls/${pull.number}`,
    );
    expect(answer.body).toMatchObject({
      head: {
        ref: "patch-1",
        sha: headSha,
        repo: { full_name: "bob/widgets", fork: true },
      },
      base: { repo: { full_name: "acme/widgets" } },
    });
  });

  it("filters by owner:branch and ignores a bare branch name, as GitHub does", async () => {
    const byHead = await call(
      "GET",
      "/repos/acme/widgets/pulls?head=acme:agent/issue-1&base=main",
    );
    expect(
      (byHead.body as Array<{ head: { ref: string } }>).map((p) => p.head.ref),
    ).toEqual(["agent/issue-1"]);
    const bare = await call(
      "GET",
      "/repos/acme/widgets/pulls?head=agent/issue-1",
    );
    expect((bare.body as unknown[]).length).toBeGreaterThan(1);
  });

  it("updates a pull request and requests reviews only from collaborators", async () => {
    const [pull] = (
      await call("GET", "/repos/acme/widgets/pulls?head=acme:agent/issue-1")
    ).body as Array<{ number: number }>;
    const route = `/repos/acme/widgets/pulls/${pull!.number}`;
    expect(
      (await call("PATCH", route, { body: "Updated" })).body,
    ).toMatchObject({ body: "Updated" });

    const reviewers = `${route}/requested_reviewers`;
    const asked = await call("POST", reviewers, { reviewers: ["alice"] });
    expect(asked).toMatchObject({
      status: 201,
      body: { requested_reviewers: [{ login: "alice" }] },
    });
    expect(
      (await call("POST", reviewers, { reviewers: ["mallory"] })).status,
    ).toBe(422);
    expect(
      (await call("POST", reviewers, { reviewers: [sim.botLogin] })).status,
    ).toBe(422);
  });
});
