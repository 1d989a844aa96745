import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CLI_BIN, cliEnv, runCli } from "../support/cli-run.ts";
import { dockerAvailable } from "../support/docker.ts";
import { committedRepository } from "../support/scratch-git.ts";
import { createTestDatabase } from "../support/test-database.ts";

const exec = promisify(execFile);
const hasDocker = await dockerAvailable();

// A run's leftovers, as anyone on the host can see them.
async function containersOf(instance: string): Promise<string[]> {
  const { stdout } = await exec("docker", [
    "ps",
    "-aq",
    "--filter",
    `label=agent-sandbox.instance=${instance}`,
  ]);
  return stdout.split("\n").filter(Boolean);
}

async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile("/proc/self/mounts", "utf8");
  return mounts
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((target) => target.startsWith(dir));
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function waitFor(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.skipIf(!hasDocker)("cleanup of a command-line run", () => {
  let root: string;
  let repo: string;
  let dataDir: string;
  let env: Record<string, string>;
  let instance: string;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "run-cleanup-"));
    dataDir = path.join(root, "data");
    ({ path: repo } = await committedRepository(path.join(root, "repo"), {
      "a.txt": "a\n",
    }));
    instance = `cleanup-${randomBytes(4).toString("hex")}`;
    env = cliEnv({ databaseUrl: url, dataDir, instance });
  });
  afterAll(async () => {
    for (const id of await containersOf(instance)) {
      await exec("docker", ["rm", "-f", id]).catch(() => undefined);
    }
    for (const target of await mountsUnder(dataDir)) {
      await exec("umount", ["-l", target]).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  });

  function startLongRun() {
    const child = spawn(
      process.execPath,
      [
        CLI_BIN,
        "run",
        "--repo",
        repo,
        "--json",
        "--task",
        "wait",
        "--agent",
        "sleep 300",
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    return { child, exited, output: () => stdout };
  }

  it("removes the container, workspace and door when the process is asked to stop", async () => {
    const run = startLongRun();
    await waitFor(
      async () => (await containersOf(instance)).length > 0,
      "a container",
    );

    run.child.kill("SIGTERM");
    const code = await run.exited;

    expect(code).toBe(1);
    expect(JSON.parse(run.output())).toMatchObject({
      outcome: "cancelled",
      reason: "cancelled",
    });
    expect(await containersOf(instance)).toEqual([]);
    expect(await mountsUnder(path.join(dataDir, "workspaces"))).toEqual([]);
    expect(await entries(path.join(dataDir, "doors"))).toEqual([]);
  });

  it("sweeps what a killed process left behind at the next start", async () => {
    const run = startLongRun();
    await waitFor(
      async () => (await containersOf(instance)).length > 0,
      "a container",
    );

    run.child.kill("SIGKILL");
    await run.exited;
    const [left] = await containersOf(instance);
    expect(left).toBeDefined();
    expect(await mountsUnder(path.join(dataDir, "workspaces"))).not.toEqual([]);

    const next = await runCli(
      ["run", "--repo", repo, "--task", "quick", "--agent", "true"],
      env,
    );
    expect(next.code, next.stderr).toBe(0);

    expect(await containersOf(instance)).toEqual([]);
    expect(await mountsUnder(path.join(dataDir, "workspaces"))).toEqual([]);
    expect(await entries(path.join(dataDir, "doors"))).toEqual([]);
  });
});
