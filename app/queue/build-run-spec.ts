import { agentPreset } from "../../runner/presets/agent-presets.ts";
import { expandEgressAllow } from "../../runner/presets/egress-presets.ts";
import type { RunSpec } from "../../runner/types.ts";
import { AppError } from "../errors/app-error.ts";
import { OPEN_FILES, PUSH_LIMITS, TMP_BYTES } from "../runs/fixed-limits.ts";
import type { GitHubRun } from "./github-run.ts";

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
  const agent = agentPreset(policy.agent.preset, {
    ...(policy.agent.command !== undefined && {
      command: policy.agent.command,
    }),
  });
  if (!agent.ok) {
    throw new AppError(
      "AGENT_PRESET_UNAVAILABLE",
      `The policy's agent settings cannot start a run: ${agent.error}.`,
    );
  }
  const egress = expandEgressAllow(policy.networkAllow);
  return {
    runId: run.id,
    repository: run.repository,
    baseRef: run.baseSha,
    branch: run.branch,
    task,
    agentCommand: agent.launch.command,
    agentEnv: agent.launch.agentEnv,
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
