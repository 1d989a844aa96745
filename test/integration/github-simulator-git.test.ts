import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  mintInstallationToken,
  restCall,
} from "../support/github-simulator/clients.ts";
import {
  startGitHubSimulator,
  type GitHubSimulator,
} from "../support/github-simulator/simulator.ts";

const run = promisify(execFile);

let sim: GitHubSimulator;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "github-simulator-git-"));
  sim = await startGitHubSimulator({ appId: 4711 });
  await sim.addRepository({
    name: "widgets",
    files: { ".github/agent-sandbox.yml": "agent:\n  command: make fix\n" },
  });
  await sim.addRepository({ name: "gadgets" });
});

afterAll(async () => {
  await sim?.close();
  await rm(scratch, { recursive: true, force: true });
});

const mint = (narrowing: Parameters<typeof mintInstallationToken>[1]) =>
  mintInstallationToken(sim, narrowing);
const tokenId = (token: string) => sim.state.findToken(token)?.id ?? -1;

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

function remote(fullName: string, token: string): string {
  const url = new URL(sim.cloneUrl(fullName));
  url.username = "x-access-token";
  url.password = token;
  return url.toString();
}

/** A clone with one new commit on top, ready to push. */
async function cloneWithCommit(name: string, token: string) {
  const dir = path.join(scratch, name);
  await git(scratch, "clone", "--quiet", remote("acme/widgets", token), dir);
  await writeFile(path.join(dir, `${name}.txt`), `${name}\n`);
  await git(dir, "add", ".");
  await git(dir, "commit", "--quiet", "-m", name);
  return dir;
}

describe("git over smart HTTP", () => {
  it("clones with a reading token and refuses its push", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    const dir = await cloneWithCommit("reader", token);
    const policy = await readFile(
      path.join(dir, ".github/agent-sandbox.yml"),
      "utf8",
    );
    expect(policy).toContain("make fix");

    const before = await sim.branchSha("acme/widgets", "main");
    await expect(
      git(dir, "push", "origin", "HEAD:refs/heads/agent/x"),
    ).rejects.toThrow(/Write access to repository not granted/);
    expect(await sim.branchSha("acme/widgets", "agent/x")).toBeNull();
    expect(await sim.branchSha("acme/widgets", "main")).toBe(before);
  });

  it("pushes a branch with a writing token and records what moved", async () => {
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "write" },
    });
    const dir = await cloneWithCommit("writer", token);
    const head = (await git(dir, "rev-parse", "HEAD")).stdout.trim();
    await git(
      dir,
      "push",
      "--quiet",
      "origin",
      "HEAD:refs/heads/agent/issue-1",
    );

    expect(await sim.branchSha("acme/widgets", "agent/issue-1")).toBe(head);
    expect(sim.state.pushes.at(-1)).toEqual(
      expect.objectContaining({
        repository: "acme/widgets",
        tokenId: tokenId(token),
        updates: [{ branch: "agent/issue-1", before: null, after: head }],
      }),
    );
    expect(sim.state.tokensUsedForGit().map((t) => t.token)).toContain(token);
  });

  it("hides repositories outside the token and refuses dead tokens", async () => {
    const token = await mint({ repositories: ["gadgets"] });
    await expect(
      git(
        scratch,
        "clone",
        "--quiet",
        remote("acme/widgets", token),
        path.join(scratch, "no"),
      ),
    ).rejects.toThrow(/Repository not found|404/);

    await restCall(sim, token, "DELETE", "/installation/token");
    const refs = `${sim.cloneUrl("acme/gadgets")}/info/refs?service=git-upload-pack`;
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const revoked = await fetch(refs, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(revoked.status).toBe(401);
    const anonymous = await fetch(refs);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
  });

  it("refuses pushes to a protected branch and to refs/pull", async () => {
    await sim.protectBranch("acme/widgets", "main");
    const token = await mint({
      repositories: ["widgets"],
      permissions: { contents: "write" },
    });
    const dir = await cloneWithCommit("protected", token);
    const before = await sim.branchSha("acme/widgets", "main");
    await expect(
      git(dir, "push", "origin", "HEAD:refs/heads/main"),
    ).rejects.toThrow(/GH006: Protected branch update failed/);
    await expect(
      git(dir, "push", "origin", "HEAD:refs/pull/1/head"),
    ).rejects.toThrow(/hidden ref/);
    expect(await sim.branchSha("acme/widgets", "main")).toBe(before);
  });
});
