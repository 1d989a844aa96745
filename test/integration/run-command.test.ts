import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { cliEnv, runCli } from "../support/cli-run.ts";
import { dockerAvailable } from "../support/docker.ts";
import {
  committedRepository,
  type CommittedRepository,
} from "../support/scratch-git.ts";
import { createTestDatabase } from "../support/test-database.ts";

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)("agent-sandbox run", () => {
  let root: string;
  let repo: CommittedRepository;
  let env: Record<string, string>;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "run-command-"));
    repo = await committedRepository(path.join(root, "repo"), {
      "README.md": "teh project\n",
    });
    env = cliEnv({ databaseUrl: url, dataDir: path.join(root, "data") });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function run(...args: string[]) {
    const { code, stdout, stderr } = await runCli(
      ["run", "--repo", repo.path, "--json", ...args],
      env,
    );
    if (!stdout) throw new Error(`run failed: ${stderr}`);
    return {
      code,
      stderr,
      result: JSON.parse(stdout) as Record<string, unknown>,
    };
  }

  it("lands the agent's work on its own branch and nothing else", async () => {
    const { code, result, stderr } = await run(
      "--task",
      "fix the typo",
      "--agent",
      'sed -i s/teh/the/ README.md && cat "$AGENT_TASK_FILE"',
      "--branch",
      "agent/typo",
    );

    expect(code).toBe(0);
    expect(result).toMatchObject({
      outcome: "success",
      reason: null,
      exitCode: 0,
      branch: "agent/typo",
      baseSha: repo.head,
    });
    expect(result.log).toContain("fix the typo");
    expect(stderr).toContain("fix the typo");
    expect(result.pushes).toEqual([
      expect.objectContaining({
        ref: "refs/heads/agent/typo",
        oldSha: "0".repeat(40),
        newSha: result.headSha,
        accepted: true,
        reason: null,
      }),
    ]);
    expect(result.auditHead).toMatch(/^[0-9a-f]{64}$/);
    expect(await repo.git("show", "agent/typo:README.md")).toBe("the project");
    expect(await repo.git("rev-parse", "agent/typo")).toBe(result.headSha);
    expect(await repo.git("rev-parse", "main")).toBe(repo.head);
    expect(await repo.git("for-each-ref", "--format=%(refname)")).toBe(
      "refs/heads/agent/typo\nrefs/heads/main",
    );
    const timings = result.timings as Record<string, number>;
    expect(timings.totalMs).toBeGreaterThan(0);

    const audit = await runCli(["audit", "verify", String(result.runId)], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^intact: \d+ events, head [0-9a-f]{64}/);
  });

  it("refuses a push that touches a protected path and changes nothing", async () => {
    const { code, result } = await run(
      "--task",
      "sneak a workflow in",
      "--agent",
      "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/x.yml",
      "--branch",
      "agent/sneaky",
    );

    expect(code).toBe(1);
    expect(result).toMatchObject({
      outcome: "failed",
      reason: "push_rejected",
      headSha: null,
    });
    const [push] = result.pushes as Record<string, unknown>[];
    expect(push).toMatchObject({ accepted: false });
    expect(push?.reason).toMatch(/\.github\/workflows\/x\.yml/);
    expect(await repo.git("branch", "--list", "agent/sneaky")).toBe("");
    expect(await repo.git("rev-parse", "main")).toBe(repo.head);
  });

  it("reports a failing agent with its exit code and pushes nothing", async () => {
    const { code, result } = await run(
      "--task",
      "fail",
      "--agent",
      "echo changed > README.md; exit 3",
      "--branch",
      "agent/fails",
    );

    expect(code).toBe(1);
    expect(result).toMatchObject({
      outcome: "failed",
      reason: "agent_exit",
      exitCode: 3,
      headSha: null,
      pushes: [],
    });
    expect(await repo.git("branch", "--list", "agent/fails")).toBe("");
  });

  it("kills the container at the deadline", async () => {
    const { code, result } = await run(
      "--task",
      "sleep",
      "--agent",
      "echo started; sleep 600",
      "--timeout",
      "3",
    );

    expect(code).toBe(1);
    expect(result).toMatchObject({ outcome: "timed_out", reason: "deadline" });
  });

  it("refuses a base that does not exist before starting anything", async () => {
    const refused = await runCli(
      [
        "run",
        "--repo",
        repo.path,
        "--task",
        "x",
        "--agent",
        "true",
        "--base",
        "nope",
      ],
      env,
    );

    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--base nope does not name a commit/),
    });
  });
});
