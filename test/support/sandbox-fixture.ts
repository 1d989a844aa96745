import { execFile } from "node:child_process";
import {
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import type { SandboxInputs } from "../../runner/sandbox/container-spec.ts";
import type { RunSpec } from "../../runner/types.ts";
import { openCgiDoor, type CgiDoor } from "./git-cgi-door.ts";

// Everything one sandbox container needs on the host, made small and real:
// a workspace that is a git clone on the run's branch, an (empty) cache
// folder, a bare upstream served by a git door on a Unix socket.

const run = promisify(execFile);
const MiB = 1024 * 1024;
const SANDBOX_UID = 10001;
export const TEST_REPOSITORY = "octo/widgets";
export const TEST_BRANCH = "agent/test-run";

export interface SandboxFixture {
  root: string;
  workspaceDir: string;
  cacheMirrorDir: string;
  upstreamDir: string;
  baseSha: string;
  door: CgiDoor;
  inputs(image: string, spec?: Partial<RunSpec>): SandboxInputs;
  cleanup(): Promise<void>;
}

export async function makeSandboxFixture(
  options: { instance?: string; refusePushes?: boolean } = {},
): Promise<SandboxFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), "agent-sandbox-test-"));
  const upstreamRoot = path.join(root, "upstream");
  const upstreamDir = path.join(upstreamRoot, `${TEST_REPOSITORY}.git`);
  const workspaceDir = path.join(root, "workspace");
  const cacheMirrorDir = path.join(root, "cache");
  await mkdir(cacheMirrorDir);
  await mkdir(path.join(root, "door"));

  await git(root, ["init", "--quiet", "--bare", upstreamDir]);
  await git(upstreamDir, ["config", "http.receivepack", "true"]);
  await git(root, ["init", "--quiet", "-b", "main", workspaceDir]);
  await writeFile(path.join(workspaceDir, "README.md"), "# widgets\n");
  await git(workspaceDir, ["add", "README.md"]);
  await git(workspaceDir, ["commit", "--quiet", "-m", "Start"]);
  await git(workspaceDir, ["push", "--quiet", upstreamDir, "main"]);
  await git(workspaceDir, ["checkout", "--quiet", "-b", TEST_BRANCH]);
  const baseSha = (await git(workspaceDir, ["rev-parse", "HEAD"])).trim();
  await chownTree(workspaceDir, SANDBOX_UID);

  const door = await openCgiDoor({
    socketPath: path.join(root, "door", "door.sock"),
    projectRoot: upstreamRoot,
    refusePushes: options.refusePushes,
  });

  return {
    root,
    workspaceDir,
    cacheMirrorDir,
    upstreamDir,
    baseSha,
    door,
    inputs: (image, spec = {}) => ({
      instance: options.instance ?? "sandbox-test",
      image,
      spec: testRunSpec(spec),
      baseSha,
      workspaceDir,
      cacheMirrorDir,
      doorSocketPath: door.socketPath,
      credential: "test-door-credential-0001",
      engineSocket: "/var/run/docker.sock",
    }),
    async cleanup() {
      await door.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function testRunSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  const runId = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return {
    runId,
    repository: TEST_REPOSITORY,
    baseRef: "main",
    branch: TEST_BRANCH,
    task: "Say hello",
    agentCommand: "echo hi",
    agentEnv: {},
    limits: {
      timeoutSeconds: 60,
      memoryBytes: 256 * MiB,
      cpus: 1,
      pids: 128,
      openFiles: 1024,
      workspaceBytes: 64 * MiB,
      tmpBytes: 16 * MiB,
    },
    pushPolicy: {
      protectedPaths: [],
      maxPackBytes: 10 * MiB,
      maxCommits: 10,
      maxFileBytes: MiB,
    },
    egress: { allow: [] },
    ...overrides,
  };
}

export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@example.invalid",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@example.invalid",
    },
  });
  return stdout;
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid);
    else await chown(child, uid, uid);
  }
}
