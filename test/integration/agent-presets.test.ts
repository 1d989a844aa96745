import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { agentPreset } from "../../runner/presets/agent-presets.ts";
import { dockerAvailable } from "../support/docker.ts";
import {
  startFakeModelProvider,
  type FakeProvider,
} from "../support/fake-model-provider.ts";
import { createTestDatabase } from "../support/test-database.ts";

// The real Claude Code command-line tool, started inside the sandbox by its
// preset, talks to a loopback fake provider through the door's broker: the
// fake answers with a tool call that writes a file, then with text. The run
// must succeed, land the file on its branch, and the key must stay outside.

const exec = promisify(execFile);
const bin = path.resolve("bin/agent-sandbox.js");
const hasDocker = await dockerAvailable();
const KEY = `sk-ant-canary-${randomBytes(12).toString("hex")}`;

function git(repo: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args])
    .toString()
    .trim();
}

/** `env NAME='value' ... command`: the preset as one `--agent` command. */
function asCommand(command: string, env: Record<string, string>): string {
  const quoted = Object.entries(env).map(
    ([name, value]) => `${name}='${value.replaceAll("'", "'\\''")}'`,
  );
  return `env ${quoted.join(" ")} ${command}`;
}

describe.skipIf(!hasDocker)("the claude-code preset inside the sandbox", () => {
  let root: string;
  let repo: string;
  let fake: FakeProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "agent-presets-"));
    repo = path.join(root, "repo");
    execFileSync("git", ["init", "-q", "-b", "main", repo]);
    await writeFile(path.join(repo, "README.md"), "a project\n");
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
    fake = await startFakeModelProvider({
      anthropicKey: KEY,
      openaiKey: KEY,
      script: [
        {
          tool: {
            name: "Write",
            input: {
              file_path: "/workspace/hello.txt",
              content: "hello from the agent\n",
            },
          },
        },
        { text: "I wrote hello.txt." },
      ],
    });
    env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: url,
      AGENT_SANDBOX_DATA_DIR: path.join(root, "data"),
      AGENT_SANDBOX_INSTANCE: `test-${randomBytes(4).toString("hex")}`,
      LOG_LEVEL: "info",
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ...(process.env.RUNNER_BASE_IMAGE && {
        RUNNER_BASE_IMAGE: process.env.RUNNER_BASE_IMAGE,
      }),
    };
  });
  afterAll(async () => {
    await fake?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("completes a scripted task through the broker with the key kept outside", async () => {
    const preset = agentPreset("claude-code");
    if (!preset.ok) throw new Error(preset.error);
    const agent = asCommand(preset.launch.command, preset.launch.agentEnv);

    let stdout = "";
    let stderr = "";
    let code = 0;
    try {
      ({ stdout, stderr } = await exec(
        process.execPath,
        [
          bin,
          "run",
          "--repo",
          repo,
          "--json",
          "--task",
          "Write hello.txt",
          "--agent",
          agent,
          "--branch",
          "agent/hello",
        ],
        { env, maxBuffer: 16 * 1024 * 1024 },
      ));
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      ({ stdout, stderr, code } = e);
    }
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(
      { code, outcome: result.outcome },
      `${stderr}\n${String(result.log)}`,
    ).toEqual({
      code: 0,
      outcome: "success",
    });
    expect(git(repo, "show", "agent/hello:hello.txt")).toBe(
      "hello from the agent",
    );

    const calls = fake.requests.filter((r) => r.path === "/v1/messages");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.headers["x-api-key"]).toBe(KEY);

    // Nothing the sandbox produced or the run printed holds the key.
    expect(stdout).not.toContain(KEY);
    expect(stderr).not.toContain(KEY);
    expect(git(repo, "log", "-p", "agent/hello")).not.toContain(KEY);
  });
});
