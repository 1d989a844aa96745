import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { verify } from "@octokit/webhooks-methods";
import { createProbot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  generateAppKeyPair,
  sendWebhook,
  startGitHubSimulator,
  type GitHubSimulator,
} from "../support/github-simulator/simulator.ts";

const run = promisify(execFile);
const APP_ID = 31337;
const { privateKeyPem } = generateAppKeyPair();

let sim: GitHubSimulator;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "github-simulator-test-"));
  sim = await startGitHubSimulator({ appId: APP_ID, privateKeyPem });
  await sim.addRepository({
    name: "widgets",
    files: { ".github/agent-sandbox.yml": "agent:\n  command: make fix\n" },
  });
  await sim.addRepository({ name: "gadgets" });
  await sim.addRepository({
    name: ".github",
    files: { "agent-sandbox.yml": "limits:\n  timeout: 10m\n" },
  });
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

/** A Probot configured only through its standard GHES settings. */
function probot() {
  return createProbot({
    env: {
      APP_ID: String(APP_ID),
      PRIVATE_KEY: privateKeyPem,
      WEBHOOK_SECRET: "unused",
      GHE_HOST: sim.host,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "fatal",
    },
  });
}

async function appJwtOctokit() {
  return probot().auth();
}

async function mint(body: Record<string, unknown>): Promise<string> {
  const app = await appJwtOctokit();
  const response = await app.request(
    "POST /app/installations/{installation_id}/access_tokens",
    { installation_id: sim.installationId, ...body },
  );
  return response.data.token;
}

async function api(
  token: string | null,
  method: string,
  route: string,
  body?: unknown,
) {
  const response = await fetch(`${sim.apiUrl}${route}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      ...(token && { authorization: `token ${token}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

async function git(cwd: string, ...args: string[]) {
  return run("git", args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: scratch,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: "Tester",
      GIT_AUTHOR_EMAIL: "tester@example.invalid",
      GIT_COMMITTER_NAME: "Tester",
      GIT_COMMITTER_EMAIL: "tester@example.invalid",
    },
  });
}

function authedUrl(fullName: string, token: string): string {
  const url = new URL(sim.cloneUrl(fullName));
  url.username = "x-access-token";
  url.password = token;
  return url.toString();
}

describe("the App and its installation", () => {
  it("serves Probot through GHE_HOST and GHE_PROTOCOL, verifying the App's JWT", async () => {
    const app = await appJwtOctokit();
    const { data } = await app.request("GET /app");
    expect(data?.id).toBe(APP_ID);

    const installation = await app.request(
      "GET /repos/{owner}/{repo}/installation",
      {
        owner: "acme",
        repo: "widgets",
      },
    );
    expect(installation.data.id).toBe(sim.installationId);
    const last = sim.state.requests.at(-1);
    expect(last).toMatchObject({
      path: "/repos/acme/widgets/installation",
      auth: "app",
    });
  });

  it("answers an installation client from Probot with a token it minted", async () => {
    const octokit = await probot().auth(sim.installationId);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}", {
      owner: "acme",
      repo: "widgets",
    });
    expect(data).toMatchObject({
      full_name: "acme/widgets",
      default_branch: "main",
      fork: false,
    });
  });

  it("refuses a JWT signed by another key", async () => {
    const other = generateAppKeyPair();
    const stranger = createProbot({
      env: {
        APP_ID: String(APP_ID),
        PRIVATE_KEY: other.privateKeyPem,
        GHE_HOST: sim.host,
        GHE_PROTOCOL: "http",
        LOG_LEVEL: "fatal",
      },
    });
    const app = await stranger.auth();
    await expect(app.request("GET /app")).rejects.toMatchObject({
      status: 401,
    });
  });
});

describe("installation tokens", () => {
  it("narrows a token to the repositories and permissions asked for", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    const record = sim.state.tokens.find((t) => t.token === token);
    expect(record?.requested).toEqual({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });

    expect((await api(token, "GET", "/repos/acme/widgets")).status).toBe(200);
    expect((await api(token, "GET", "/repos/acme/gadgets")).status).toBe(404);
    const comment = await api(token, "POST", "/repos/acme/widgets/check-runs", {
      name: "x",
      head_sha: await sim.branchSha("acme/widgets", "main"),
    });
    expect(comment.status).toBe(403);
    expect(comment.body?.message).toBe(
      "Resource not accessible by integration",
    );
  });

  it("refuses to mint beyond the installation", async () => {
    await expect(mint({ repositories: ["elsewhere"] })).rejects.toMatchObject({
      status: 422,
    });
    await expect(
      mint({ permissions: { workflows: "write" } }),
    ).rejects.toMatchObject({
      status: 422,
    });
    await expect(
      mint({ permissions: { issues: "admin" } }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("stops honouring a token once revoked or expired", async () => {
    const token = await mint({ repositories: ["widgets"] });
    expect((await api(token, "DELETE", "/installation/token")).status).toBe(
      204,
    );
    expect((await api(token, "GET", "/repos/acme/widgets")).status).toBe(401);
    expect(
      sim.state.tokens.find((t) => t.token === token)?.revokedAt,
    ).toBeInstanceOf(Date);

    const expiring = await mint({ repositories: ["widgets"] });
    const record = sim.state.tokens.find((t) => t.token === expiring);
    sim.state.expireToken(record!.id);
    expect((await api(expiring, "GET", "/repos/acme/widgets")).status).toBe(
      401,
    );
  });

  it("records every request with the token that made it", async () => {
    const token = await mint({
      repositories: ["gadgets"],
      permissions: { metadata: "read" },
    });
    await api(token, "GET", "/repos/acme/gadgets");
    const id = sim.state.tokens.find((t) => t.token === token)!.id;
    expect(sim.state.requestsWithToken(id)).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/repos/acme/gadgets",
        status: 200,
      }),
    ]);
  });
});

describe("collaborator permissions", () => {
  it("reports the coarse permission beside the fine role like GitHub", async () => {
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
      const { body } = await api(
        token,
        "GET",
        `/repos/acme/widgets/collaborators/${login}/permission`,
      );
      expect({
        login,
        permission: body?.permission,
        role: body?.role_name,
      }).toEqual({
        login,
        permission,
        role,
      });
    }
  });
});

describe("git over smart HTTP", () => {
  it("clones with a reading token and refuses its push", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    const dir = path.join(scratch, "clone-read");
    await git(
      scratch,
      "clone",
      "--quiet",
      authedUrl("acme/widgets", token),
      dir,
    );
    expect(
      await readFile(path.join(dir, ".github/agent-sandbox.yml"), "utf8"),
    ).toContain("make fix");

    await writeFile(path.join(dir, "new.txt"), "hello\n");
    await git(dir, "add", "new.txt");
    await git(dir, "commit", "--quiet", "-m", "add new");
    const before = await sim.branchSha("acme/widgets", "main");
    await expect(
      git(dir, "push", "--quiet", "origin", "HEAD:refs/heads/agent/x"),
    ).rejects.toThrow(/403|Write access/);
    expect(await sim.branchSha("acme/widgets", "agent/x")).toBeNull();
    expect(await sim.branchSha("acme/widgets", "main")).toBe(before);
  });

  it("pushes a branch with a writing token and records it", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "write" },
    });
    const dir = path.join(scratch, "clone-write");
    await git(
      scratch,
      "clone",
      "--quiet",
      authedUrl("acme/widgets", token),
      dir,
    );
    await writeFile(path.join(dir, "fix.txt"), "fixed\n");
    await git(dir, "add", "fix.txt");
    await git(dir, "commit", "--quiet", "-m", "fix");
    const { stdout } = await git(dir, "rev-parse", "HEAD");
    await git(
      dir,
      "push",
      "--quiet",
      "origin",
      "HEAD:refs/heads/agent/issue-1",
    );

    expect(await sim.branchSha("acme/widgets", "agent/issue-1")).toBe(
      stdout.trim(),
    );
    const tokenId = sim.state.tokens.find((t) => t.token === token)!.id;
    expect(sim.state.pushes.at(-1)).toMatchObject({
      repository: "acme/widgets",
      tokenId,
      updates: [
        { branch: "agent/issue-1", before: null, after: stdout.trim() },
      ],
    });
  });

  it("challenges a fetch without credentials", async () => {
    const response = await fetch(
      `${sim.cloneUrl("acme/widgets")}/info/refs?service=git-upload-pack`,
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic/);
  });
});

describe("webhooks", () => {
  it("signs deliveries so @octokit/webhooks-methods verifies them", async () => {
    const issue = sim.addIssue({
      repository: "acme/widgets",
      title: "Broken",
      user: "alice",
    });
    const comment = sim.addIssueComment({
      repository: "acme/widgets",
      number: issue.number,
      user: "alice",
      body: "/agent fix",
    });
    const { event, payload } = await sim.events.issueComment({ comment });
    let received: {
      body: string;
      headers: Record<string, string | string[] | undefined>;
    } | null = null;
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received = { body, headers: req.headers };
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    const port = (server.address() as { port: number }).port;
    try {
      const response = await sendWebhook(`http://127.0.0.1:${port}/`, {
        event,
        payload,
        secret: "s3cret",
        deliveryId: "delivery-1",
      });
      expect(response.status).toBe(200);
    } finally {
      server.close();
    }
    const got = received as unknown as {
      body: string;
      headers: Record<string, string>;
    };
    expect(got.headers["x-github-event"]).toBe("issue_comment");
    expect(got.headers["x-github-delivery"]).toBe("delivery-1");
    expect(
      await verify("s3cret", got.body, got.headers["x-hub-signature-256"]!),
    ).toBe(true);
    expect(
      await verify("other", got.body, got.headers["x-hub-signature-256"]!),
    ).toBe(false);
    expect(JSON.parse(got.body)).toMatchObject({
      action: "created",
      comment: { id: comment.id, body: "/agent fix" },
      installation: { id: sim.installationId },
      sender: { login: "alice", type: "User" },
    });
  });
});
