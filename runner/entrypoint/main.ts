import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { constants } from "node:os";

import { deliverWork } from "./deliver-work.ts";
import { startDoorForwarder } from "./door-forwarder.ts";
import {
  EXIT_PUSH_FAILED,
  EXIT_SETUP_FAILED,
  SIGNAL_EXIT_BASE,
} from "./exit-codes.ts";
import { configureGit, WORKSPACE } from "./git-setup.ts";
import { readEnvironment, type EntrypointEnv } from "./read-environment.ts";

// The first process of every sandbox (under Docker's init). It runs as the
// unprivileged user, like the agent: it holds nothing the agent could not
// read for itself, and the door on the host enforces every rule.

const DOOR_SOCKET = "/run/agent-sandbox/door.sock";
const TASK_DIR = "/tmp/agent-sandbox";
const TASK_FILE = `${TASK_DIR}/task.md`;

async function main(): Promise<number> {
  let env: EntrypointEnv;
  try {
    env = readEnvironment(process.env);
  } catch (err) {
    say(message(err));
    return EXIT_SETUP_FAILED;
  }

  const forwarder = await startDoorForwarder(env.doorPort, DOOR_SOCKET).catch(
    (err: unknown) => {
      say(`door forwarder did not start: ${message(err)}`);
      return undefined;
    },
  );
  if (!forwarder) return EXIT_SETUP_FAILED;

  try {
    try {
      await configureGit(env);
      await mkdir(TASK_DIR, { recursive: true, mode: 0o700 });
      await writeFile(TASK_FILE, env.task, { mode: 0o600 });
    } catch (err) {
      say(`sandbox setup failed: ${message(err)}`);
      return EXIT_SETUP_FAILED;
    }

    const agentExit = await runAgent(env);
    if (agentExit !== 0) return agentExit;

    const delivery = await deliverWork(env).catch((err: unknown) => {
      say(`could not commit the agent's work: ${message(err)}`);
      return "failed" as const;
    });
    if (delivery === "failed") return EXIT_PUSH_FAILED;
    return 0;
  } finally {
    await forwarder.close();
  }
}

function runAgent(env: EntrypointEnv): Promise<number> {
  const proxy = `http://127.0.0.1:${env.doorPort}`;
  const agentEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AGENT_TASK_FILE: TASK_FILE,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    // Nobody is there to answer a prompt; git must fail instead of waiting.
    GIT_TERMINAL_PROMPT: "0",
  };

  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", env.command], {
      cwd: WORKSPACE,
      env: agentEnv,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (err) => {
      say(`agent did not start: ${err.message}`);
      resolve(EXIT_SETUP_FAILED);
    });
    child.on("close", (code, signal) => {
      if (code !== null) return resolve(code);
      const number = signal ? constants.signals[signal] : 0;
      resolve(SIGNAL_EXIT_BASE + number);
    });
  });
}

function say(text: string): void {
  process.stderr.write(`agent-sandbox: ${text}\n`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Exits explicitly: a connection the agent left open through the forwarder
// must not keep the sandbox alive until its deadline.
process.exit(await main());
