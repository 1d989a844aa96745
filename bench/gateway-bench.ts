import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import pino from "pino";

import { openDoor } from "../runner/door/door-server.ts";
import { inProcessCredential } from "../runner/door/run-credential.ts";
import { startDoorForwarder } from "../runner/entrypoint/door-forwarder.ts";
import type { RunSpec } from "../runner/types.ts";
import { createLocalUpstream } from "../runner/upstream/local-upstream.ts";
import { startHttpBackend } from "./http-backend-server.ts";
import { median } from "./sample-stats.ts";

const run = promisify(execFile);

// Odd, so the median is one measured push; each round pushes the same
// commits into a fresh copy of the upstream both ways, interleaved, so
// disk caches and machine load treat both sides alike.
const ROUNDS = 9;
// An agent's typical push: a handful of commits over a few dozen files of
// source in a repository of some hundreds.
const BASE_FILES = 400;
const COMMITS = 8;
const FILES_PER_COMMIT = 12;
const BRANCH = "agent/bench";

const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  LANG: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

function source(seed: number, lines: number): string {
  return Array.from(
    { length: lines },
    (_, i) =>
      `export const value${i} = ${(seed * 31 + i * 17) % 9973}; // line ${i}\n`,
  ).join("");
}

async function commitFiles(
  dir: string,
  files: Record<string, string>,
  message: string,
) {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", message]);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * A push of the same commits through the door's git gateway (client over
 * a loopback TCP pipe to the door socket, quarantine, every policy check,
 * then the forward into a local upstream) against `git push` straight into
 * an identical local upstream, as a ratio of medians. For reading the
 * figure, it also times a push over smart HTTP served by git's own
 * `http-backend`: the share of the cost that HTTP brings whoever serves it.
 */
export async function gatewayBench(): Promise<{
  name: string;
  ratio: number;
  details: Record<string, number | string>;
}> {
  const root = await mkdtemp(path.join(os.tmpdir(), "gateway-bench-"));
  try {
    const base = path.join(root, "base");
    await git(root, ["init", "-q", "-b", "main", base]);
    const files: Record<string, string> = {};
    for (let i = 0; i < BASE_FILES; i++)
      files[`src/m${i % 20}/f${i}.ts`] = source(i, 60);
    await commitFiles(base, files, "base");
    const mirror = path.join(root, "mirror.git");
    await git(root, ["clone", "-q", "--bare", base, mirror]);
    const work = path.join(root, "work");
    await git(root, ["clone", "-q", "--shared", mirror, work]);
    await git(work, ["checkout", "-q", "-b", BRANCH]);
    for (let c = 0; c < COMMITS; c++) {
      const change: Record<string, string> = {};
      for (let k = 0; k < FILES_PER_COMMIT; k++) {
        const i = (c * 37 + k * 11) % BASE_FILES;
        change[`src/m${i % 20}/f${i}.ts`] = source(i + c + 1, 60 + c);
      }
      await commitFiles(work, change, `change ${c}`);
    }
    const head = await git(work, ["rev-parse", "HEAD"]);

    const direct: number[] = [];
    const gateway: number[] = [];
    const overHttp: number[] = [];
    const backend = await startHttpBackend(root, GIT_ENV);
    for (let round = 0; round < ROUNDS; round++) {
      const directUpstream = path.join(root, `direct-${round}.git`);
      await git(root, ["clone", "-q", "--bare", base, directUpstream]);
      direct.push(
        await timed(() =>
          git(work, [
            "push",
            "-q",
            directUpstream,
            `HEAD:refs/heads/${BRANCH}`,
          ]),
        ),
      );

      const httpUpstream = `http-${round}.git`;
      await git(root, ["clone", "-q", "--bare", base, httpUpstream]);
      overHttp.push(
        await timed(() =>
          git(work, [
            "push",
            "-q",
            `${backend.url}/${httpUpstream}`,
            `HEAD:refs/heads/${BRANCH}`,
          ]),
        ),
      );

      const upstreamDir = path.join(root, `gateway-${round}.git`);
      await git(root, ["clone", "-q", "--bare", base, upstreamDir]);
      const through = await openGateway(root, round, mirror, upstreamDir);
      try {
        gateway.push(await timed(() => through.push(work)));
        const landed = await git(upstreamDir, [
          "rev-parse",
          `refs/heads/${BRANCH}`,
        ]);
        if (landed !== head) throw new Error("the gateway push did not land");
      } finally {
        await through.close();
      }
    }

    await backend.close();
    const ratio = median(gateway) / median(direct);
    return {
      name: "gateway",
      ratio,
      details: {
        directMedianMs: Number(median(direct).toFixed(1)),
        gatewayMedianMs: Number(median(gateway).toFixed(1)),
        httpBackendPushMedianMs: Number(median(overHttp).toFixed(1)),
        ratioToHttpBackendPush: Number(
          (median(gateway) / median(overHttp)).toFixed(3),
        ),
        rounds: ROUNDS,
        commits: COMMITS,
        filesPerCommit: FILES_PER_COMMIT,
      },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function openGateway(
  root: string,
  round: number,
  mirrorDir: string,
  upstreamDir: string,
) {
  const spec: RunSpec = {
    runId: `bench-${round}`,
    repository: "bench/repo",
    baseRef: "main",
    branch: BRANCH,
    task: "",
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
      maxPackBytes: 100 * 1024 * 1024,
      maxCommits: 1000,
      maxFileBytes: 10 * 1024 * 1024,
    },
    egress: { allow: [] },
  };
  const credential = inProcessCredential(
    { runId: spec.runId, repository: spec.repository, branch: BRANCH },
    new Date(Date.now() + 3_600_000),
  );
  const door = await openDoor({
    spec,
    upstream: createLocalUpstream(upstreamDir),
    credentials: credential.check,
    audit: { record: async () => undefined },
    log: pino({ level: "silent" }),
    mirrorDir,
    dir: path.join(root, `door-${round}`),
  });
  // The container's side of the door, as the entrypoint runs it.
  const { port, close: closeForwarder } = await startDoorForwarder(
    0,
    door.socketPath,
  );
  const auth = Buffer.from(`x-access-token:${credential.token}`).toString(
    "base64",
  );
  return {
    push: (work: string) =>
      git(work, [
        "-c",
        `http.extraHeader=Authorization: Basic ${auth}`,
        "push",
        "-q",
        `http://127.0.0.1:${port}/git/${spec.repository}.git`,
        `HEAD:refs/heads/${BRANCH}`,
      ]),
    async close() {
      await closeForwarder();
      await door.close();
    },
  };
}
