import { execFile } from "node:child_process";
import {
  chmod,
  lstat,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  statfs,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isMountPoint } from "../../runner/workspace/loop-filesystem.ts";
import {
  prepareWorkspace,
  type Workspace,
} from "../../runner/workspace/prepare-workspace.ts";
import { settledCode } from "../support/error-code.ts";
import {
  scratchRepository,
  type ScratchRepository,
} from "../support/scratch-git.ts";
import { loopDevicesAvailable } from "../support/loop-devices.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const log = pino({ level: "silent" });
const MIB = 1024 * 1024;
const CAP = 48 * MIB;
const AGENT_ID = 10001;

const usable = await loopDevicesAvailable();

describe.skipIf(!usable)("prepareWorkspace", () => {
  let scratch: string;
  let dataDir: string;
  let upstream: ScratchRepository;
  let baseSha: string;
  let fetches = 0;
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "prepare-workspace-"));
    dataDir = path.join(scratch, "data");
    upstream = await scratchRepository(path.join(scratch, "upstream"));
    baseSha = await upstream.commit({
      "README.md": "hello\n",
      "src/deep/nested/file.ts": "export const x = 1;\n",
      escape: "->/etc/hostname",
    });
  });
  afterAll(async () => {
    for (const workspace of workspaces) await workspace.release();
    await rm(scratch, { recursive: true, force: true });
  });

  let counter = 0;
  async function prepare(
    overrides: {
      baseRef?: string;
      branch?: string;
      bytes?: number;
      runId?: string;
    } = {},
  ): Promise<Workspace> {
    counter += 1;
    const workspace = await prepareWorkspace({
      dataDir,
      spec: {
        runId: overrides.runId ?? `run-${counter}`,
        repository: "octo/workspace",
        baseRef: overrides.baseRef ?? "main",
        branch: overrides.branch ?? `agent/task-${counter}`,
        limits: { workspaceBytes: overrides.bytes ?? CAP },
      },
      upstream: {
        fetchSource: async () => {
          fetches += 1;
          return { url: upstream.path, config: {} };
        },
      },
      log,
    });
    workspaces.push(workspace);
    return workspace;
  }

  /** Reads a workspace with git as the agent could (not the host's code),
   * without letting `status` rewrite the index as root. */
  async function inspect(dir: string, ...args: string[]): Promise<string> {
    const safe = ["-c", `safe.directory=${dir}`, "-C", dir];
    const env = { ...process.env, GIT_OPTIONAL_LOCKS: "0" };
    return (await run("git", [...safe, ...args], { env })).stdout.trim();
  }

  it("gives the run its own file system of the cap's size", async () => {
    const workspace = await prepare();

    expect(await isMountPoint(workspace.dir)).toBe(true);
    const parent = await stat(path.dirname(workspace.dir));
    expect((await stat(workspace.dir)).dev).not.toBe(parent.dev);
    const fs = await statfs(workspace.dir);
    const size = fs.blocks * fs.bsize;
    expect(size).toBeLessThanOrEqual(CAP);
    expect(size).toBeGreaterThan(CAP * 0.85);
  });

  it("stops writes past the cap with ENOSPC", async () => {
    const workspace = await prepare();
    const chunk = Buffer.alloc(MIB, 7);
    const handle = await open(path.join(workspace.dir, "filler"), "w");
    let written = 0;
    let failure: NodeJS.ErrnoException | undefined;
    try {
      while (written <= 2 * CAP) {
        await handle.write(chunk);
        written += chunk.length;
      }
    } catch (error) {
      failure = error as NodeJS.ErrnoException;
    } finally {
      await handle.close();
    }

    expect(failure?.code).toBe("ENOSPC");
    expect(written).toBeLessThan(CAP);
  });

  it("checks out the base commit on the run's branch, every file owned by the agent user", async () => {
    const workspace = await prepare({ branch: "agent/fix-login" });

    expect(workspace.baseSha).toBe(baseSha);
    expect(
      await readFile(path.join(workspace.dir, ".git", "HEAD"), "utf8"),
    ).toBe("ref: refs/heads/agent/fix-login\n");
    expect(await inspect(workspace.dir, "rev-parse", "HEAD")).toBe(baseSha);
    expect(await inspect(workspace.dir, "status", "--porcelain")).toBe("");
    expect(
      await readFile(
        path.join(workspace.dir, "src/deep/nested/file.ts"),
        "utf8",
      ),
    ).toBe("export const x = 1;\n");

    const entries = await readdir(workspace.dir, { recursive: true });
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of [".", ...entries]) {
      const info = await lstat(path.join(workspace.dir, entry));
      expect([info.uid, info.gid], entry).toEqual([AGENT_ID, AGENT_ID]);
    }
  });

  it("keeps a symbolic link in the repository a link, without touching its target", async () => {
    const before = await lstat("/etc/hostname");
    const workspace = await prepare();

    const link = await lstat(path.join(workspace.dir, "escape"));
    expect(link.isSymbolicLink()).toBe(true);
    const after = await lstat("/etc/hostname");
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
  });

  it("borrows every object from the mirror instead of copying it", async () => {
    const workspace = await prepare();

    const alternates = await readFile(
      path.join(workspace.dir, ".git/objects/info/alternates"),
      "utf8",
    );
    expect(alternates.trim()).toBe(path.join(workspace.mirrorDir, "objects"));
    const own = (
      await readdir(path.join(workspace.dir, ".git/objects"), {
        recursive: true,
        withFileTypes: true,
      })
    ).filter((entry) => entry.isFile() && entry.name !== "alternates");
    expect(own.map((entry) => entry.name)).toEqual([]);
  });

  it("prepares two runs of one repository at once, each on its own copy", async () => {
    const [first, second] = await Promise.all([prepare(), prepare()]);

    expect(first!.baseSha).toBe(baseSha);
    expect(second!.baseSha).toBe(baseSha);
    await writeFile(path.join(first!.dir, "only-here"), "x");
    await expect(stat(path.join(second!.dir, "only-here"))).rejects.toThrow();
    expect(await inspect(second!.dir, "status", "--porcelain")).toBe("");
  });

  it("follows new upstream commits", async () => {
    const next = await upstream.commit({ "CHANGELOG.md": "new\n" });

    const workspace = await prepare();

    expect(workspace.baseSha).toBe(next);
    expect(
      await readFile(path.join(workspace.dir, "CHANGELOG.md"), "utf8"),
    ).toBe("new\n");
    await upstream.git("reset", "--quiet", "--hard", baseSha);
  });

  it("uses a full sha the mirror already has without asking the upstream", async () => {
    await prepare();
    const before = fetches;

    const workspace = await prepare({ baseRef: baseSha });

    expect(fetches).toBe(before);
    expect(workspace.baseSha).toBe(baseSha);
  });

  it("refuses an unknown base with BASE_REF_NOT_FOUND and leaves nothing behind", async () => {
    const code = await settledCode(prepare({ baseRef: "no-such-branch" }));

    expect(code).toBe("BASE_REF_NOT_FOUND");
    const left = await readdir(path.join(dataDir, "workspaces"));
    expect(left.filter((entry) => entry.startsWith(`run-${counter}`))).toEqual(
      [],
    );
  });

  it("refuses a branch outside agent/ before fetching anything", async () => {
    const before = fetches;

    const code = await settledCode(prepare({ branch: "main" }));

    expect(code).toBe("BRANCH_NAME_INVALID");
    expect(fetches).toBe(before);
  });

  it("refuses a cap too small to hold a file system", async () => {
    expect(await settledCode(prepare({ bytes: 1024 }))).toBe(
      "WORKSPACE_PREPARE_FAILED",
    );
  });

  it("refuses to prepare one run twice and leaves the first workspace alone", async () => {
    const first = await prepare({ runId: "run-once" });

    const code = await settledCode(prepare({ runId: "run-once" }));

    expect(code).toBe("WORKSPACE_PREPARE_FAILED");
    expect(await isMountPoint(first.dir)).toBe(true);
    expect(await inspect(first.dir, "rev-parse", "HEAD")).toBe(baseSha);
  });

  it("refuses to run without root with WORKSPACE_UNSUPPORTED, never dropping the cap", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "prepare-unprivileged-"));
    await chmod(dir, 0o755);
    const script = path.join(dir, "attempt.mts");
    const module = fileURLToPath(
      new URL("../../runner/workspace/prepare-workspace.ts", import.meta.url),
    );
    await writeFile(
      script,
      `import { prepareWorkspace } from ${JSON.stringify(module)};
import pino from ${JSON.stringify(require.resolve("pino"))};
try {
  await prepareWorkspace({
    dataDir: ${JSON.stringify(path.join(dir, "data"))},
    spec: { runId: "r", repository: "o/r", baseRef: "main", branch: "agent/x",
      limits: { workspaceBytes: ${CAP} } },
    upstream: { fetchSource: async () => { throw new Error("fetched"); } },
    log: pino({ level: "silent" }),
  });
  console.log("prepared");
} catch (error) {
  console.log(error.code, error.message);
}
`,
    );
    await chmod(script, 0o644);

    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", script],
      {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        uid: AGENT_ID,
        gid: AGENT_ID,
        env: { PATH: process.env.PATH, HOME: dir },
      },
    ).finally(() => rm(dir, { recursive: true, force: true }));

    expect(stdout).toMatch(/^WORKSPACE_UNSUPPORTED .*needs root/);
  });

  it("releases by unmounting and deleting everything, and can release twice", async () => {
    const workspace = await prepare();
    const image = `${workspace.dir}.img`;
    expect((await stat(image)).isFile()).toBe(true);

    await workspace.release();
    await workspace.release();

    expect(await isMountPoint(workspace.dir)).toBe(false);
    await expect(stat(workspace.dir)).rejects.toThrow();
    await expect(stat(image)).rejects.toThrow();
    const { stdout } = await run("losetup", ["--associated", image]);
    expect(stdout).toBe("");
  });
});
