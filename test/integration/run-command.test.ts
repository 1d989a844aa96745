import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { dockerAvailable } from "../support/docker.ts";
import { createTestDatabase } from "../support/test-database.ts";

const exec = promisify(execFile);
const bin = path.resolve("bin/agent-sandbox.js");
const hasDocker = await dockerAvailable();

function git(repo: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args])
    .toString()
    .trim();
}

describe.skipIf(!hasDocker)("agent-sandbox run", () => {
  let root: string;
  let repo: string;
  let env: Record<string, string>;
  let mainBefore: string;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "run-command-"));
    repo = path.join(root, "repo");
    execFileSync("git", ["init", "-q", "-b", "main", repo]);
    await writeFile(path.join(repo, "README.md"), "teh project\n");
    git(repo, "add", ".");
    git(
      repo,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@e",
      "commit",
      "-qm",
      "init",
    );
    mainBefore = git(repo, "rev-parse", "main");
    env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: url,
      AGENT_SANDBOX_DATA_DIR: path.join(root, "data"),
      AGENT_SANDBOX_INSTANCE: `test-${randomBytes(4).toString("hex")}`,
      LOG_LEVEL: "warn",
      ...(process.env.RUNNER_BASE_IMAGE && {
        RUNNER_BASE_IMAGE: process.env.RUNNER_BASE_IMAGE,
      }),
    };
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function run(...args: string[]) {
    try {
      const { stdout } = await exec(
        process.execPath,
        [bin, "run", "--repo", repo, "--json", ...args],
        { env, maxBuffer: 16 * 1024 * 1024 },
      );
      return { code: 0, result: JSON.parse(stdout) as Record<string, unknown> };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      if (!e.stdout) throw new Error(`run failed: ${e.stderr}`);
      return {
        code: e.code,
        result: JSON.parse(e.stdout) as Record<string, unknown>,
      };
    }
  }

  it("lands the agent's work on its own branch and nothing else", async () => {
    const { code, result } = await run(
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
      baseSha: mainBefore,
    });
    expect(result.log).toContain("fix the typo");
    expect(result.auditHead).toMatch(/^[0-9a-f]{64}$/);
    expect(git(repo, "show", "agent/typo:README.md")).toBe("the project");
    expect(git(repo, "rev-parse", "agent/typo")).toBe(result.headSha);
    expect(git(repo, "rev-parse", "main")).toBe(mainBefore);
    expect(git(repo, "for-each-ref", "--format=%(refname)")).toBe(
      "refs/heads/agent/typo\nrefs/heads/main",
    );
    const timings = result.timings as Record<string, number>;
    expect(timings.totalMs).toBeGreaterThan(0);

    const { stdout } = await exec(
      process.execPath,
      [bin, "audit", "verify", String(result.runId)],
      { env },
    );
    expect(stdout).toMatch(/^intact: \d+ events, head [0-9a-f]{64}/);
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
    expect(git(repo, "branch", "--list", "agent/fails")).toBe("");
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
    await expect(
      exec(
        process.execPath,
        [
          bin,
          "run",
          "--repo",
          repo,
          "--task",
          "x",
          "--agent",
          "true",
          "--base",
          "nope",
        ],
        { env },
      ),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--base nope does not name a commit/),
    });
  });
});
