import { expandEgressAllow } from "../../runner/presets/egress-presets.ts";
import type { LimitSettings } from "../config/load-config.ts";
import {
  PERMISSIONS,
  type PolicyFile,
  type Preset,
  type TriggerPermission,
} from "./policy-schema.ts";

// Paths no run may touch whatever a policy says: workflows run with the
// repository's secrets, and the policy file governs the runs themselves.
export const ALWAYS_PROTECTED = [
  ".github/workflows/**",
  ".github/agent-sandbox.yml",
];

export interface OperatorSettings {
  defaults: LimitSettings;
  ceilings: Omit<LimitSettings, "pids">;
  minPermission: TriggerPermission;
}

export interface EffectivePolicy {
  agent: { preset: Preset; command: string | undefined };
  limits: { timeoutSeconds: number; memoryBytes: number; cpus: number };
  minPermission: TriggerPermission;
  protectedPaths: string[];
  networkAllow: string[];
  allowForks: boolean;
  /** Which files contributed, for the check run's summary. */
  sources: string[];
}

export type MergedPolicy =
  { ok: true; policy: EffectivePolicy } | { ok: false; problems: string[] };

type LimitKey = "timeoutSeconds" | "memoryBytes" | "cpus";
const LIMIT_KEYS: [LimitKey, keyof NonNullable<PolicyFile["limits"]>][] = [
  ["timeoutSeconds", "timeout"],
  ["memoryBytes", "memory"],
  ["cpus", "cpus"],
];

/**
 * Combines the operator's settings, the organisation's defaults and the
 * repository's file. The operator and the organisation set ceilings: the
 * repository may tighten any of them and loosen none. An attempt to loosen
 * is a problem to report, never something to clamp quietly.
 */
export function mergePolicy(
  operator: OperatorSettings,
  org: PolicyFile | undefined,
  repo: PolicyFile | undefined,
): MergedPolicy {
  const problems: string[] = [];
  const limits = { ...pickLimits(operator.defaults) };

  for (const [key, name] of LIMIT_KEYS) {
    const ceiling = operator.ceilings[key];
    const orgValue = org?.limits?.[name];
    const repoValue = repo?.limits?.[name];
    if (orgValue !== undefined && orgValue > ceiling) {
      problems.push(
        `organisation policy: limits.${name} is above the operator's ceiling of ${show(key, ceiling)}`,
      );
    }
    const orgCeiling = Math.min(orgValue ?? ceiling, ceiling);
    if (repoValue !== undefined && repoValue > orgCeiling) {
      problems.push(
        `repository policy: limits.${name} (${show(key, repoValue)}) is above the ceiling of ${show(key, orgCeiling)} set by the ${orgValue !== undefined ? "organisation" : "operator"}`,
      );
    }
    limits[key] = Math.min(repoValue ?? orgValue ?? limits[key], orgCeiling);
  }

  const orgPermission = org?.trigger?.minPermission;
  const repoPermission = repo?.trigger?.minPermission;
  if (
    orgPermission &&
    repoPermission &&
    rank(repoPermission) < rank(orgPermission)
  ) {
    problems.push(
      `repository policy: trigger.minPermission cannot be lower than the organisation's`,
    );
  }
  const minPermission = [operator.minPermission, orgPermission, repoPermission]
    .filter((value): value is TriggerPermission => value !== undefined)
    .reduce((a, b) => (rank(b) > rank(a) ? b : a));

  const orgAllow = org?.network?.allow;
  const repoAllow = repo?.network?.allow;
  if (orgAllow && repoAllow) {
    for (const entry of repoAllow) {
      if (!orgAllow.includes(entry)) {
        problems.push(
          `repository policy: network.allow entry "${entry}" is not in the organisation's allow-list`,
        );
      }
    }
  }

  for (const [label, list] of [
    ["organisation policy: network.allow", orgAllow],
    ["repository policy: network.allow", repoAllow],
  ] as const) {
    if (list) problems.push(...expandEgressAllow(list, label).errors);
  }

  const orgForks = org?.pullRequests?.allowForks;
  const repoForks = repo?.pullRequests?.allowForks;
  if (orgForks === false && repoForks === true) {
    problems.push(
      "repository policy: pullRequests.allowForks cannot be true when the organisation sets it to false",
    );
  }

  // The repository's agent replaces the organisation's as a whole; a bare
  // `command` means the `command` preset.
  const agent = repo?.agent ?? org?.agent ?? {};
  const preset = agent.preset ?? "command";
  const command = agent.command;
  if (preset === "command" && command === undefined) {
    problems.push(
      "agent.command is not set: name the shell command to run in the sandbox, or choose agent.preset (claude-code or codex)",
    );
  }
  if (preset !== "command" && command !== undefined) {
    problems.push(
      `agent.command is used only with agent.preset "command"; the ${preset} preset brings its own command`,
    );
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      agent: { preset, command },
      limits,
      minPermission,
      protectedPaths: unique([
        ...ALWAYS_PROTECTED,
        ...(org?.protectedPaths ?? []),
        ...(repo?.protectedPaths ?? []),
      ]),
      networkAllow: unique(repoAllow ?? orgAllow ?? []),
      allowForks: repoForks ?? orgForks ?? false,
      sources: [
        ...(org ? ["organisation"] : []),
        ...(repo ? ["repository"] : []),
      ],
    },
  };
}

export function rank(permission: string): number {
  return PERMISSIONS.indexOf(permission as TriggerPermission);
}

function pickLimits(settings: LimitSettings): EffectivePolicy["limits"] {
  return {
    timeoutSeconds: settings.timeoutSeconds,
    memoryBytes: settings.memoryBytes,
    cpus: settings.cpus,
  };
}

function show(key: LimitKey, value: number): string {
  if (key === "timeoutSeconds") return `${value}s`;
  if (key === "memoryBytes") return `${Math.round(value / 1024 / 1024)}Mi`;
  return String(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
