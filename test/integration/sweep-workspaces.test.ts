import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { templatesDir } from "../../runner/workspace/checkout-template.ts";
import {
  isMountPoint,
  mountNewImage,
} from "../../runner/workspace/loop-filesystem.ts";
import {
  prepareWorkspace,
  type Workspace,
} from "../../runner/workspace/prepare-workspace.ts";
import { sweepWorkspaces } from "../../runner/workspace/sweep-workspaces.ts";
import { scratchRepository } from "../support/scratch-git.ts";
import { loopDevicesAvailable } from "../support/loop-devices.ts";

const run = promisify(execFile);
const log = pino({ level: "silent" });
const CAP = 32 * 1024 * 1024;

const usable = await loopDevicesAvailable();

describe.skipIf(!usable)("sweepWorkspaces", () => {
  let scratch: string;
  let dataDir: string;
  let upstreamPath: string;
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "sweep-workspaces-"));
    dataDir = path.join(scratch, "data");
    const upstream = await scratchRepository(path.join(scratch, "upstream"));
    await upstream.commit({ "README.md": "hello\n" });
    upstreamPath = upstream.path;
  });
  afterAll(async () => {
    for (const workspace of workspaces) await workspace.release();
    await rm(scratch, { recursive: true, force: true });
  });

  async function prepare(runId: string): Promise<Workspace> {
    const workspace = await prepareWorkspace({
      dataDir,
      spec: {
        runId,
        repository: "octo/sweep",
        baseRef: "main",
        branch: `agent/${runId}`,
        limits: { workspaceBytes: CAP },
      },
      upstream: {
        fetchSource: async () => ({ url: upstreamPath, config: {} }),
      },
      log,
    });
    workspaces.push(workspace);
    return workspace;
  }

  async function loopsFor(image: string): Promise<string> {
    return (await run("losetup", ["--associated", image])).stdout;
  }

  it("removes the workspaces of finished runs and keeps the active ones", async () => {
    const active = await prepare("run-active");
    const finished = await prepare("run-finished");
    const root = path.dirname(active.dir);
    // What a crash between creating the image and mounting it leaves.
    await writeFile(path.join(root, "run-crashed.img"), "");
    await mkdir(path.join(root, "run-crashed"));
    await writeFile(path.join(root, "notes.txt"), "not a run");

    const swept = await sweepWorkspaces(
      dataDir,
      (runId) => runId === "run-active",
      log,
    );

    expect(swept.sort()).toEqual(["run-crashed", "run-finished"]);
    expect(await isMountPoint(finished.dir)).toBe(false);
    expect(await loopsFor(`${finished.dir}.img`)).toBe("");
    expect((await readdir(root)).sort()).toEqual([
      "notes.txt",
      "run-active",
      "run-active.img",
    ]);
    expect(await isMountPoint(active.dir)).toBe(true);
    expect((await stat(path.join(active.dir, "README.md"))).isFile()).toBe(
      true,
    );
  });

  it("asks an asynchronous isActive and leaves nothing when no run is active", async () => {
    const workspace = await prepare("run-async");

    const swept = await sweepWorkspaces(dataDir, async () => false, log);

    expect(swept).toContain("run-async");
    expect(await isMountPoint(workspace.dir)).toBe(false);
    expect(await readdir(path.dirname(workspace.dir))).toEqual(["notes.txt"]);
  });

  it("unmounts and removes a checkout template whose build was cut short", async () => {
    const workspace = await prepare("run-template");
    await workspace.release();
    const templates = templatesDir(workspace.mirrorDir);
    const building = path.join(templates, "deadbeef-1.building");
    await mountNewImage(`${building}.img`, building, CAP);

    await sweepWorkspaces(dataDir, () => false, log);

    expect(await isMountPoint(building)).toBe(false);
    const left = await readdir(templates);
    expect(left.filter((entry) => entry.includes(".building"))).toEqual([]);
    expect(left.filter((entry) => entry.endsWith(".img"))).toHaveLength(1);
  });

  it("does nothing when there is no workspace folder yet", async () => {
    const empty = path.join(scratch, "empty-data");
    expect(await sweepWorkspaces(empty, () => false, log)).toEqual([]);
  });
});
