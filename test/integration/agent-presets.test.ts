import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { agentPreset } from "../../runner/presets/agent-presets.ts";
import { cliEnv, runCli } from "../support/cli-run.ts";
import { dockerAvailable } from "../support/docker.ts";
import {
  startFakeModelProvider,
  type FakeProvider,
} from "../support/fake-model-provider.ts";
import {
  committedRepository,
  type ScratchRepository,
} from "../support/scratch-git.ts";
import { createTestDatabase } from "../support/test-database.ts";

// The real Claude Code command-line tool, started inside the sandbox by its
// preset, talks to a loopback fake provider through the door's broker: the
// fake answers with a tool call that writes a file, then with text. The run
// must succeed, land the file on its branch, and the key must stay outside.

const hasDocker = await dockerAvailable();
const KEY = `sk-ant-canary-${randomBytes(12).toString("hex")}`;

/** `env NAME='value' ... command`: the preset as one `--agent` command. */
function asCommand(command: string, env: Record<string, string>): string {
  const quoted = Object.entries(env).map(
    ([name, value]) => `${name}='${value.replaceAll("'", "'\\''")}'`,
  );
  return `env ${quoted.join(" ")} ${command}`;
}

describe.skipIf(!hasDocker)("the claude-code preset inside the sandbox", () => {
  let root: string;
  let repo: ScratchRepository;
  let fake: FakeProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "agent-presets-"));
    repo = await committedRepository(path.join(root, "repo"), {
      "README.md": "a project\n",
    });
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
    env = cliEnv({
      databaseUrl: url,
      dataDir: path.join(root, "data"),
      logLevel: "info",
      extra: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: fake.url },
    });
  });
  afterAll(async () => {
    await fake?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("completes a scripted task through the broker with the key kept outside", async () => {
    const preset = agentPreset("claude-code");
    if (!preset.ok) throw new Error(preset.error);
    const agent = asCommand(preset.launch.command, preset.launch.agentEnv);

    const { code, stdout, stderr } = await runCli(
      [
        "run",
        "--repo",
        repo.path,
        "--json",
        "--task",
        "Write hello.txt",
        "--agent",
        agent,
        "--branch",
        "agent/hello",
      ],
      env,
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(
      { code, outcome: result.outcome },
      `${stderr}\n${String(result.log)}`,
    ).toEqual({
      code: 0,
      outcome: "success",
    });
    expect(await repo.git("show", "agent/hello:hello.txt")).toBe(
      "hello from the agent",
    );

    const calls = fake.requests.filter((r) => r.path === "/v1/messages");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.headers["x-api-key"]).toBe(KEY);

    // Nothing the sandbox produced or the run printed holds the key.
    expect(stdout).not.toContain(KEY);
    expect(stderr).not.toContain(KEY);
    expect(await repo.git("log", "-p", "agent/hello")).not.toContain(KEY);
  });
});
