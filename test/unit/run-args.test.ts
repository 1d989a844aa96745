import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { parseRunArgs } from "../../app/cli/commands/run-args.ts";
import { loadConfig } from "../../app/config/load-config.ts";
import { committedRepository } from "../support/scratch-git.ts";

const config = loadConfig({ MAX_TIMEOUT_SECONDS: "600" });
const root = mkdtempSync(path.join(os.tmpdir(), "run-args-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const { path: repo, head } = await committedRepository(
  path.join(root, "repo"),
  { "a.txt": "a\n" },
  "first",
);

const base = ["--repo", repo, "--task", "fix it", "--agent", "true"];

describe("parseRunArgs", () => {
  it("resolves the base commit and fills defaults from configuration", async () => {
    const args = await parseRunArgs(base, config);

    expect(args).toMatchObject({
      repo,
      task: "fix it",
      agent: "true",
      baseSha: head,
      timeoutSeconds: 1800,
      cpus: 1,
      json: false,
    });
    expect(args.branch).toMatch(/^agent\/run-[0-9a-f]{8}$/);
  });

  it("takes a preset's command and the variables that point it at the door", async () => {
    const args = await parseRunArgs(
      ["--repo", repo, "--task", "x", "--preset", "claude-code"],
      config,
    );

    expect(args.agent).toMatch(/^claude /);
    expect(args.agentEnv.ANTHROPIC_BASE_URL).toBe(
      "http://127.0.0.1:3128/model/anthropic",
    );
  });

  it.each([
    [[...base, "--preset", "codex"], /--agent or --preset, not both/],
    [
      ["--repo", repo, "--task", "x", "--preset", "gpt"],
      /unknown agent preset/,
    ],
    [[...base, "--model", "m"], /--model goes with --preset/],
    [["--task", "x", "--agent", "true"], /--repo is required/],
    [
      ["--repo", root, "--task", "x", "--agent", "true"],
      /not a git repository/,
    ],
    [
      ["--repo", path.join(root, "nope"), "--task", "x", "--agent", "y"],
      /not a folder/,
    ],
    [[...base, "--base", "no-such-ref"], /does not name a commit/],
    [[...base, "--base=--output=/etc/passwd"], /not a ref/],
    [[...base, "--base", "--output=/etc/passwd"], /ambiguous/],
    [[...base, "--timeout", "0"], /--timeout 0 must be a whole number above 0/],
    [
      [...base, "--timeout", "601"],
      /ceiling of 600 set by MAX_TIMEOUT_SECONDS/,
    ],
    [[...base, "--memory", "1.5"], /--memory 1.5 must be a whole number/],
    [[...base, "--cpus=-2"], /--cpus -2 must be a number above 0/],
    [[...base, "--branch", "main"], /must start with agent\//],
    [[...base, "--branch", "agent/../main"], /not allowed/],
    [[...base, "--task-file", "x"], /exactly one of --task and --task-file/],
    [["--repo", repo, "--task", "  ", "--agent", "true"], /task is empty/],
    [["--repo", repo, "--task", "x"], /--agent is required/],
    [[...base, "--bogus"], /Unknown option '--bogus'/],
  ])("refuses %j with a clear message", async (argv, message) => {
    await expect(parseRunArgs(argv, config)).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringMatching(message),
    });
  });
});
