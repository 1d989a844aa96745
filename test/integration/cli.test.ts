import { execFile, spawn } from "node:child_process";
import { chmod, chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const bin = path.resolve("bin/agent-sandbox.js");
// The conventional unprivileged user of Debian systems.
const NOBODY = 65534;

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Processes whose command line mentions `needle`, from /proc. */
async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(
      () => "",
    );
    if (cmdline.includes(needle)) found.push(Number(entry));
  }
  return found;
}

describe("agent-sandbox command line", () => {
  it("lists its subcommands with --help", async () => {
    const { code, stdout } = await cli(["--help"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: agent-sandbox <command>/);
    expect(stdout).toMatch(/^\s+start\s/m);
    expect(stdout).toMatch(/^\s+migrate\s/m);
  });

  it("answers an unknown subcommand with the usage and exit code 2", async () => {
    const { code, stderr } = await cli(["frobnicate"]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown command: frobnicate/);
    expect(stderr).toMatch(/Usage: agent-sandbox/);
  });

  it("names each bad setting and exits non-zero without a stack trace", async () => {
    const { code, stderr } = await cli(["migrate"], {
      PORT: "abc",
      RUN_MEMORY_MIB: "lots",
    });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/PORT: expected a whole number from 0 to 65535/);
    expect(stderr).toMatch(/RUN_MEMORY_MIB: expected a whole number of MiB/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("starts with an empty environment on an embedded Postgres and stops cleanly on Ctrl-C", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cli-start-"));
    afterAll(() => rm(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [bin, "start"], {
      env: {
        PATH: process.env.PATH ?? "",
        AGENT_SANDBOX_DATA_DIR: dataDir,
        PORT: "0",
        HOST: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    afterAll(() => child.kill("SIGKILL"));
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));

    const listening = await new Promise<Record<string, unknown>>(
      (resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no listening line:\n${output}`)),
          90_000,
        );
        const check = () => {
          const line = output
            .split("\n")
            .find((l) => l.includes('"msg":"listening"'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line) as Record<string, unknown>);
          }
        };
        child.stderr.on("data", check);
        child.stdout.on("data", check);
      },
    );
    expect(listening.port).toEqual(expect.any(Number));
    expect(await processesMentioning(dataDir)).not.toHaveLength(0);

    child.kill("SIGINT");
    const code = await new Promise((resolve) => child.on("exit", resolve));

    expect(code).toBe(0);
    expect(await processesMentioning(path.join(dataDir, "postgres"))).toEqual(
      [],
    );
  });

  it.skipIf(process.getuid?.() !== 0)(
    "runs its embedded Postgres as an ordinary user too",
    async () => {
      const home = await mkdtemp(path.join(os.tmpdir(), "cli-user-"));
      afterAll(() => rm(home, { recursive: true, force: true }));
      await chmod(home, 0o755);
      await chown(home, NOBODY, NOBODY);

      const { stdout, stderr } = await run(
        "setpriv",
        [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          "--clear-groups",
          process.execPath,
          bin,
          "migrate",
        ],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: home,
            AGENT_SANDBOX_DATA_DIR: path.join(home, "data"),
          },
        },
      );

      expect(stdout + stderr).toMatch(/"msg":"migrations applied"/);
      expect(await processesMentioning(path.join(home, "data"))).toEqual([]);
    },
  );
});
