import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs, promisify } from "node:util";

import { agentPreset } from "../../../runner/presets/agent-presets.ts";
import type { Config } from "../../config/load-config.ts";
import { AppError } from "../../errors/app-error.ts";

const git = promisify(execFile);

// The whole task reaches the agent through its environment; keep it well
// under the kernel's limit for one variable (128 KiB).
const MAX_TASK_BYTES = 64 * 1024;
const MiB = 1024 * 1024;

export interface RunArgs {
  repo: string;
  task: string;
  /** The shell command run inside the sandbox, and its extra variables. */
  agent: string;
  agentEnv: Record<string, string>;
  base: string;
  baseSha: string;
  branch: string;
  timeoutSeconds: number;
  memoryBytes: number;
  cpus: number;
  allowHosts: string[];
  runtime: string | undefined;
  json: boolean;
}

export const RUN_USAGE = `agent-sandbox run --repo <path> (--task <text> | --task-file <file>)
    (--agent <command> | --preset <claude-code|codex>) [--model <name>] [--base <ref>] [--branch <agent/name>] [--timeout <seconds>] [--memory <MiB>]
    [--cpus <n>] [--allow-host <host[:port]>]... [--runtime <name>] [--json]`;

/**
 * Reads and checks the `run` command line before anything starts, so a typo
 * costs a message and exit code 2, not a container.
 */
export async function parseRunArgs(
  argv: string[],
  config: Config,
): Promise<RunArgs> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        repo: { type: "string" },
        task: { type: "string" },
        "task-file": { type: "string" },
        agent: { type: "string" },
        preset: { type: "string" },
        model: { type: "string" },
        base: { type: "string" },
        branch: { type: "string" },
        timeout: { type: "string" },
        memory: { type: "string" },
        cpus: { type: "string" },
        "allow-host": { type: "string", multiple: true },
        runtime: { type: "string" },
        json: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw usage((err as Error).message);
  }

  const { defaults, ceilings } = config.runner;
  const repo = await repository(values.repo);
  const base = values.base ?? "HEAD";
  const timeoutSeconds = bounded(
    "--timeout",
    values.timeout,
    defaults.timeoutSeconds,
    ceilings.timeoutSeconds,
    "MAX_TIMEOUT_SECONDS",
    true,
  );
  const memoryMiB = bounded(
    "--memory",
    values.memory,
    defaults.memoryBytes / MiB,
    ceilings.memoryBytes / MiB,
    "MAX_MEMORY_MIB",
    true,
  );
  const cpus = bounded(
    "--cpus",
    values.cpus,
    defaults.cpus,
    ceilings.cpus,
    "MAX_CPUS",
    false,
  );

  return {
    repo,
    task: await task(values.task, values["task-file"]),
    ...agent(values.agent, values.preset, values.model),
    base,
    baseSha: await resolveBase(repo, base),
    branch: branch(values.branch),
    timeoutSeconds,
    memoryBytes: memoryMiB * MiB,
    cpus,
    allowHosts: values["allow-host"] ?? [],
    runtime: values.runtime ?? config.runner.runtime,
    json: values.json ?? false,
  };
}

function usage(problem: string): AppError {
  return new AppError("USAGE", `${problem}\nUsage: ${RUN_USAGE}`);
}

/** A command of one's own, or a preset's tool talking through the door. */
function agent(
  command: string | undefined,
  preset: string | undefined,
  model: string | undefined,
): { agent: string; agentEnv: Record<string, string> } {
  if (preset === undefined && model !== undefined) {
    throw usage("--model goes with --preset.");
  }
  if (preset !== undefined && preset !== "command" && command !== undefined) {
    throw usage("Give --agent or --preset, not both.");
  }
  if (preset === undefined) required("--agent", command);
  const launched = agentPreset(preset ?? "command", {
    ...(command !== undefined && { command }),
    ...(model !== undefined && { model }),
  });
  if (!launched.ok) throw usage(`--preset: ${launched.error}`);
  return {
    agent: launched.launch.command,
    agentEnv: launched.launch.agentEnv,
  };
}

function required(flag: string, value: string | undefined): string {
  if (value === undefined || value.trim() === "") {
    throw usage(`${flag} is required.`);
  }
  return value;
}

async function repository(value: string | undefined): Promise<string> {
  const repo = path.resolve(required("--repo", value));
  const isDir = await stat(repo).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw usage(`--repo ${repo} is not a folder.`);
  try {
    await git("git", ["-C", repo, "rev-parse", "--git-dir"]);
  } catch {
    throw usage(`--repo ${repo} is not a git repository.`);
  }
  return repo;
}

async function resolveBase(repo: string, base: string): Promise<string> {
  if (base.startsWith("-")) throw usage(`--base ${base} is not a ref.`);
  try {
    const { stdout } = await git("git", [
      "-C",
      repo,
      "rev-parse",
      "--verify",
      "--quiet",
      "--end-of-options",
      `${base}^{commit}`,
    ]);
    return stdout.trim();
  } catch {
    throw usage(`--base ${base} does not name a commit in ${repo}.`);
  }
}

async function task(
  text: string | undefined,
  file: string | undefined,
): Promise<string> {
  if ((text === undefined) === (file === undefined)) {
    throw usage("Give exactly one of --task and --task-file.");
  }
  let value = text;
  if (file !== undefined) {
    value = await readFile(file, "utf8").catch(() => {
      throw usage(`--task-file ${file} cannot be read.`);
    });
  }
  if (!value || value.trim() === "") throw usage("The task is empty.");
  if (Buffer.byteLength(value) > MAX_TASK_BYTES) {
    throw usage(`The task is over ${MAX_TASK_BYTES} bytes; shorten it.`);
  }
  return value;
}

function branch(value: string | undefined): string {
  const name = value ?? `agent/run-${randomBytes(4).toString("hex")}`;
  const valid =
    /^agent\/[A-Za-z0-9._/-]+$/.test(name) &&
    !/(^|\/)\.|\.\.|\/\/|\/$|\.lock(\/|$)|\.$/.test(name);
  if (!valid) {
    throw usage(
      `--branch ${name} is not allowed: it must start with agent/ and be a plain branch name (letters, digits, . _ - /).`,
    );
  }
  return name;
}

function bounded(
  flag: string,
  value: string | undefined,
  fallback: number,
  ceiling: number,
  setting: string,
  whole: boolean,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  const kind = whole ? "a whole number" : "a number";
  if (
    value.trim() === "" ||
    !Number.isFinite(number) ||
    number <= 0 ||
    (whole && !Number.isInteger(number))
  ) {
    throw usage(`${flag} ${value} must be ${kind} above 0.`);
  }
  if (number > ceiling) {
    throw usage(
      `${flag} ${value} is above the ceiling of ${ceiling} set by ${setting}.`,
    );
  }
  return number;
}
