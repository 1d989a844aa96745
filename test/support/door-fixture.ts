import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import pino from "pino";

import {
  openDoor,
  type Door,
  type DoorOptions,
} from "../../runner/door/door-server.ts";
import { inProcessCredential } from "../../runner/door/run-credential.ts";
import { startDoorForwarder } from "../../runner/entrypoint/door-forwarder.ts";
import type { AuditSink, RunSpec, Upstream } from "../../runner/types.ts";
import { createLocalUpstream } from "../../runner/upstream/local-upstream.ts";

const run = promisify(execFile);

/** Environment for the test's own git: nothing from the host's config. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  LANG: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git and resolves whatever the exit code. */
export async function git(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<GitOutput> {
  try {
    const { stdout, stderr } = await run("git", args, {
      cwd,
      env: { ...GIT_ENV, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: e.code ?? 1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    };
  }
}

export async function gitOk(cwd: string, args: string[]): Promise<string> {
  const out = await git(cwd, args);
  if (out.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed: ${out.stderr}`);
  }
  return out.stdout.trim();
}

export const BRANCH = "agent/fix-1";
export const REPOSITORY = "acme/widgets";

export function runSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    runId: "00000000-0000-4000-8000-000000000001",
    repository: REPOSITORY,
    baseRef: "main",
    branch: BRANCH,
    task: "fix it",
    agentCommand: "true",
    agentEnv: {},
    limits: {
      timeoutSeconds: 600,
      memoryBytes: 2 ** 31,
      cpus: 1,
      pids: 512,
      openFiles: 1024,
      workspaceBytes: 2 ** 31,
      tmpBytes: 2 ** 28,
    },
    pushPolicy: {
      protectedPaths: [".github/workflows/**"],
      maxPackBytes: 8 * 1024 * 1024,
      maxCommits: 50,
      maxFileBytes: 1024 * 1024,
    },
    egress: { allow: [] },
    ...overrides,
  };
}

export interface AuditEvent {
  kind: string;
  data: Record<string, unknown>;
}

export interface DoorFixture {
  root: string;
  upstreamDir: string;
  mirrorDir: string;
  workDir: string;
  door: Door;
  token: string;
  revoke(): void;
  events: AuditEvent[];
  forwards: number;
  /** `http://127.0.0.1:<port>/git/<repo>.git` through a TCP-to-socket pipe. */
  remoteUrl: string;
  /** git in the workspace, authenticated with `token` (or another one). */
  push(args: string[], token?: string): Promise<GitOutput>;
  close(): Promise<void>;
}

/**
 * A local upstream repository with a main branch, its bare mirror, an
 * agent workspace cloned from the mirror (sharing its objects, as the real
 * workspace does) on the run's branch, and a door for the run reached over
 * a loopback TCP port piped to the door's Unix socket.
 */
export async function openDoorFixture(
  options: { spec?: RunSpec; upstream?: (dir: string) => Upstream } = {},
): Promise<DoorFixture> {
  const spec = options.spec ?? runSpec();
  const root = await mkdtemp(path.join(os.tmpdir(), "door-"));
  const upstreamDir = path.join(root, "upstream");
  const mirrorDir = path.join(root, "mirror.git");
  const workDir = path.join(root, "work");

  await gitOk(root, ["init", "-q", "-b", "main", upstreamDir]);
  await writeAndCommit(upstreamDir, { "README.md": "hello\n" }, "initial");
  await writeAndCommit(upstreamDir, { "src/app.js": "export {};\n" }, "app");
  await gitOk(root, ["clone", "-q", "--bare", upstreamDir, mirrorDir]);
  await gitOk(root, ["clone", "-q", "--shared", mirrorDir, workDir]);
  await gitOk(workDir, ["checkout", "-q", "-b", spec.branch]);

  const credential = inProcessCredential(
    { runId: spec.runId, repository: spec.repository, branch: spec.branch },
    new Date(Date.now() + 3_600_000),
  );
  const events: AuditEvent[] = [];
  // The real credential store and audit sink answer after a database round
  // trip; so do these, so that a request body can finish arriving while
  // the door is still waiting on them.
  const roundTrip = () => new Promise((resolve) => setTimeout(resolve, 5));
  const audit: AuditSink = {
    record: async (kind, data) => {
      await roundTrip();
      events.push({ kind, data });
    },
  };
  const local = (options.upstream ?? createLocalUpstream)(upstreamDir);
  const fixture = { forwards: 0 } as DoorFixture;
  const upstream: Upstream = {
    fetchSource: () => local.fetchSource(),
    forward: (dir, update) => {
      fixture.forwards++;
      return local.forward(dir, update);
    },
  };
  const doorOptions: DoorOptions = {
    spec,
    upstream,
    credentials: async (runId, presented) => {
      await roundTrip();
      return credential.check(runId, presented);
    },
    audit,
    log: pino({ level: "silent" }),
    mirrorDir,
    dir: path.join(root, "door"),
  };
  const door = await openDoor(doorOptions);

  // The container's side of the door, as the entrypoint runs it.
  const forwarder = await startDoorForwarder(0, door.socketPath);
  const port = forwarder.port;
  const remoteUrl = `http://127.0.0.1:${port}/git/${spec.repository}.git`;

  return Object.assign(fixture, {
    root,
    upstreamDir,
    mirrorDir,
    workDir,
    door,
    token: credential.token,
    revoke: credential.revoke,
    events,
    remoteUrl,
    push: (args: string[], token = credential.token) =>
      git(workDir, [
        "-c",
        `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
        ...args,
      ]),
    async close() {
      await forwarder.close();
      await door.close();
      await rm(root, { recursive: true, force: true });
    },
  });
}

export async function writeAndCommit(
  dir: string,
  files: Record<string, string | Buffer>,
  message: string,
): Promise<string> {
  const { mkdir, writeFile } = await import("node:fs/promises");
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await gitOk(dir, ["add", "-A"]);
  await gitOk(dir, ["commit", "-q", "-m", message]);
  return gitOk(dir, ["rev-parse", "HEAD"]);
}

/** The upstream's value of a ref, or null when it does not exist. */
export async function upstreamRef(
  fixture: DoorFixture,
  ref: string,
): Promise<string | null> {
  const out = await git(fixture.upstreamDir, [
    "rev-parse",
    "--verify",
    "-q",
    ref,
  ]);
  return out.code === 0 ? out.stdout.trim() : null;
}
