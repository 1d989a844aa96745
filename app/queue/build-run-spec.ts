import { expandEgressAllow } from "../../runner/presets/egress-presets.ts";
import type { RunSpec } from "../../runner/types.ts";
import { AppError } from "../errors/app-error.ts";
import type { GitHubRun } from "./github-run.ts";

const MiB = 1024 * 1024;

// Limits the policy file does not cover; the same values as a command-line
// run so both kinds of run are held to one standard.
const OPEN_FILES = 4096;
const TMP_BYTES = 256 * MiB;
const PUSH_LIMITS = {
  maxPackBytes: 100 * MiB,
  maxCommits: 100,
  maxFileBytes: 10 * MiB,
};

export interface SpecSettings {
  pids: number;
  workspaceBytes: number;
  runtime: string | undefined;
}

/** The runner's view of a GitHub run: nothing in it knows about GitHub. */
export function buildRunSpec(
  run: GitHubRun,
  task: string,
  settings: SpecSettings,
): RunSpec {
  const policy = run.policy;
  if (policy.agent.preset !== "command" || !policy.agent.command) {
    // Known shortcoming: the claude-code and codex presets need the agent
    // preset definitions from runner/presets, which are not in this build
    // yet; until they are, only `command` can run.
    throw new AppError(
      "AGENT_PRESET_UNAVAILABLE",
      `The policy asks for the agent preset "${policy.agent.preset}".`,
    );
  }
  const egress = expandEgressAllow(policy.networkAllow);
  return {
    runId: run.id,
    repository: run.repository,
    baseRef: run.baseSha,
    branch: run.branch,
    task,
    agentCommand: policy.agent.command,
    agentEnv: {},
    limits: {
      timeoutSeconds: policy.limits.timeoutSeconds,
      memoryBytes: policy.limits.memoryBytes,
      cpus: policy.limits.cpus,
      pids: settings.pids,
      openFiles: OPEN_FILES,
      workspaceBytes: settings.workspaceBytes,
      tmpBytes: TMP_BYTES,
    },
    pushPolicy: { protectedPaths: policy.protectedPaths, ...PUSH_LIMITS },
    egress: { allow: egress.rules },
    ...(settings.runtime !== undefined && { runtime: settings.runtime }),
  };
}
