import type { RunSpec } from "../types.ts";
import type { BindMount, ContainerSpec } from "./docker-engine.ts";
import {
  assertFreeContainerPath,
  assertMountableHostPath,
} from "./mount-guard.ts";
import { SandboxError } from "./sandbox-error.ts";

// The complete shape of a run's container, decided in this one function so
// that a single test can read every setting that contains the agent.

export const INSTANCE_LABEL = "agent-sandbox.instance";
export const RUN_LABEL = "agent-sandbox.run";

export const SANDBOX_USER = "10001:10001";
export const WORKSPACE_PATH = "/workspace";
export const DOOR_SOCKET_PATH = "/run/agent-sandbox/door.sock";
export const DOOR_PORT = 3128;
export const ENTRYPOINT = ["node", "/opt/agent-sandbox/entrypoint.mjs"];
const HOME = "/tmp/home";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Shared memory is a tmpfs of its own, outside the /tmp cap; kept small.
const SHM_BYTES = 64 * 1024 * 1024;
// The engine keeps a copy of the output on the host; bounded so a chatty
// agent cannot fill the host's disk. The run's own copy is capped separately.
const ENGINE_LOG_MAX_SIZE = "8m";
// Linux refuses a single environment string over 128 KiB (MAX_ARG_STRLEN).
const MAX_ENV_VALUE_BYTES = 96 * 1024;

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const INSTANCE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RUNTIME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Names the sandbox sets itself, or that would change how the entrypoint,
// git or the dynamic loader behave behind the entrypoint's back.
const RESERVED_ENV = new Set(["HOME", "PATH", "LANG", "NODE_OPTIONS"]);
const RESERVED_ENV_PREFIXES = ["AGENT_", "LD_", "DOCKER_", "GIT_"];
const PROXY_ENV = /^(https?|no|all)_proxy$/i;

export interface SandboxInputs {
  instance: string;
  image: string;
  spec: RunSpec;
  baseSha: string;
  workspaceDir: string;
  cacheMirrorDir: string;
  doorSocketPath: string;
  credential: string;
  /** The host's Docker socket, refused as a mount wherever it lives. */
  engineSocket: string;
}

export function buildContainerSpec(inputs: SandboxInputs): ContainerSpec {
  const { spec, instance, engineSocket } = inputs;
  if (!RUN_ID.test(spec.runId)) {
    refuse(`run id ${JSON.stringify(spec.runId)} is not a plain name`);
  }
  if (!INSTANCE.test(instance)) {
    refuse(`instance ${JSON.stringify(instance)} is not a plain name`);
  }
  if (spec.runtime !== undefined && !RUNTIME.test(spec.runtime)) {
    refuse(`runtime ${JSON.stringify(spec.runtime)} is not a plain name`);
  }
  assertMountableHostPath("workspace", inputs.workspaceDir, engineSocket);
  assertMountableHostPath("cache mirror", inputs.cacheMirrorDir, engineSocket);
  assertFreeContainerPath("cache mirror", inputs.cacheMirrorDir);
  assertMountableHostPath("door socket", inputs.doorSocketPath, engineSocket);

  const { limits } = spec;
  const mounts: BindMount[] = [
    bind(inputs.workspaceDir, WORKSPACE_PATH, false),
    bind(inputs.cacheMirrorDir, inputs.cacheMirrorDir, true),
    bind(inputs.doorSocketPath, DOOR_SOCKET_PATH, false),
  ];

  const hostConfig: ContainerSpec["HostConfig"] = {
    NetworkMode: "none",
    Privileged: false,
    CapDrop: ["ALL"],
    CapAdd: [],
    // The engine's default seccomp profile applies because none is named.
    SecurityOpt: ["no-new-privileges:true"],
    ReadonlyRootfs: true,
    Tmpfs: {
      "/tmp": `rw,noexec,nosuid,nodev,size=${limits.tmpBytes},mode=1777`,
    },
    Memory: limits.memoryBytes,
    // Equal to Memory: no swap, so the memory limit is a hard limit.
    MemorySwap: limits.memoryBytes,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    Ulimits: [
      { Name: "nofile", Soft: limits.openFiles, Hard: limits.openFiles },
    ],
    Mounts: mounts,
    Init: true,
    IpcMode: "private",
    ShmSize: SHM_BYTES,
    RestartPolicy: { Name: "no" },
    AutoRemove: false,
    LogConfig: {
      Type: "json-file",
      Config: { "max-size": ENGINE_LOG_MAX_SIZE, "max-file": "1" },
    },
  };
  if (spec.runtime !== undefined) hostConfig.Runtime = spec.runtime;

  return {
    name: `${instance}-run-${spec.runId}`,
    Image: inputs.image,
    User: SANDBOX_USER,
    WorkingDir: WORKSPACE_PATH,
    Entrypoint: ENTRYPOINT,
    Cmd: [],
    Env: containerEnv(inputs),
    Labels: { [INSTANCE_LABEL]: instance, [RUN_LABEL]: spec.runId },
    Hostname: "sandbox",
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    HostConfig: hostConfig,
  };
}

function containerEnv(inputs: SandboxInputs): string[] {
  const { spec } = inputs;
  const env: Record<string, string> = {
    AGENT_TASK: spec.task,
    AGENT_COMMAND: spec.agentCommand,
    AGENT_BRANCH: spec.branch,
    AGENT_BASE_SHA: inputs.baseSha,
    AGENT_REPOSITORY: spec.repository,
    AGENT_DOOR_TOKEN: inputs.credential,
    AGENT_DOOR_PORT: String(DOOR_PORT),
    HOME,
    PATH,
    LANG: "C.UTF-8",
  };
  for (const [name, value] of Object.entries(spec.agentEnv)) {
    assertAgentVariable(name, value, inputs.engineSocket);
    env[name] = value;
  }
  for (const [name, value] of Object.entries(env)) {
    if (value.includes("\0")) refuse(`variable ${name} contains a NUL byte`);
    if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) {
      refuse(`variable ${name} is over ${MAX_ENV_VALUE_BYTES} bytes`);
    }
  }
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

function assertAgentVariable(
  name: string,
  value: string,
  engineSocket: string,
): void {
  if (!ENV_NAME.test(name)) {
    refuse(`agent variable name ${JSON.stringify(name)} is not valid`);
  }
  const reserved =
    RESERVED_ENV.has(name) ||
    PROXY_ENV.test(name) ||
    RESERVED_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
  if (reserved) {
    refuse(`agent variable ${name} is reserved for the sandbox`);
  }
  if (value.includes("docker.sock") || value.includes(engineSocket)) {
    refuse(`agent variable ${name} points at the container engine`);
  }
}

function bind(source: string, target: string, readOnly: boolean): BindMount {
  return { Type: "bind", Source: source, Target: target, ReadOnly: readOnly };
}

function refuse(why: string): never {
  throw new SandboxError("SANDBOX_SPEC_REFUSED", `Sandbox refused: ${why}.`);
}
