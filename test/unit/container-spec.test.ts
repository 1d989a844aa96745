import { describe, expect, it } from "vitest";

import {
  buildContainerSpec,
  type SandboxInputs,
} from "../../runner/sandbox/container-spec.ts";
import type { RunSpec } from "../../runner/types.ts";

const MiB = 1024 * 1024;

function runSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    runId: "run-42",
    repository: "octo/widgets",
    baseRef: "main",
    branch: "agent/fix-the-thing",
    task: "Fix the thing",
    agentCommand: "make fix",
    agentEnv: { ANTHROPIC_BASE_URL: "http://127.0.0.1:3128/model/anthropic" },
    limits: {
      timeoutSeconds: 1800,
      memoryBytes: 2048 * MiB,
      cpus: 1.5,
      pids: 512,
      openFiles: 4096,
      workspaceBytes: 2048 * MiB,
      tmpBytes: 256 * MiB,
    },
    pushPolicy: {
      protectedPaths: [".github/workflows/**"],
      maxPackBytes: 100 * MiB,
      maxCommits: 100,
      maxFileBytes: 10 * MiB,
    },
    egress: { allow: [] },
    ...overrides,
  };
}

function inputs(overrides: Partial<SandboxInputs> = {}): SandboxInputs {
  return {
    instance: "acme-prod",
    image: "agent-sandbox-runner:0123456789abcdef",
    spec: runSpec(),
    baseSha: "a".repeat(40),
    workspaceDir: "/srv/agent-sandbox/runs/run-42/workspace",
    cacheMirrorDir: "/srv/agent-sandbox/cache/octo/widgets.git",
    doorSocketPath: "/srv/agent-sandbox/runs/run-42/door.sock",
    credential: "door-credential-value",
    engineSocket: "/var/run/docker.sock",
    ...overrides,
  };
}

describe("buildContainerSpec", () => {
  it("builds the complete hardened create options", () => {
    expect(buildContainerSpec(inputs())).toStrictEqual({
      name: "acme-prod-run-run-42",
      Image: "agent-sandbox-runner:0123456789abcdef",
      User: "10001:10001",
      WorkingDir: "/workspace",
      Entrypoint: ["node", "/opt/agent-sandbox/entrypoint.mjs"],
      Cmd: [],
      Env: [
        "AGENT_TASK=Fix the thing",
        "AGENT_COMMAND=make fix",
        "AGENT_BRANCH=agent/fix-the-thing",
        `AGENT_BASE_SHA=${"a".repeat(40)}`,
        "AGENT_REPOSITORY=octo/widgets",
        "AGENT_DOOR_TOKEN=door-credential-value",
        "AGENT_DOOR_PORT=3128",
        "HOME=/tmp/home",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG=C.UTF-8",
        "ANTHROPIC_BASE_URL=http://127.0.0.1:3128/model/anthropic",
      ],
      Labels: {
        "agent-sandbox.instance": "acme-prod",
        "agent-sandbox.run": "run-42",
      },
      Hostname: "sandbox",
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: false,
      Tty: false,
      HostConfig: {
        NetworkMode: "none",
        Privileged: false,
        CapDrop: ["ALL"],
        CapAdd: [],
        SecurityOpt: ["no-new-privileges:true"],
        ReadonlyRootfs: true,
        Tmpfs: {
          "/tmp": `rw,noexec,nosuid,nodev,size=${256 * MiB},mode=1777`,
        },
        Memory: 2048 * MiB,
        MemorySwap: 2048 * MiB,
        NanoCpus: 1_500_000_000,
        PidsLimit: 512,
        Ulimits: [{ Name: "nofile", Soft: 4096, Hard: 4096 }],
        Mounts: [
          {
            Type: "bind",
            Source: "/srv/agent-sandbox/runs/run-42/workspace",
            Target: "/workspace",
            ReadOnly: false,
          },
          {
            Type: "bind",
            Source: "/srv/agent-sandbox/cache/octo/widgets.git",
            Target: "/srv/agent-sandbox/cache/octo/widgets.git",
            ReadOnly: true,
          },
          {
            Type: "bind",
            Source: "/srv/agent-sandbox/runs/run-42/door.sock",
            Target: "/run/agent-sandbox/door.sock",
            ReadOnly: false,
          },
        ],
        Init: true,
        IpcMode: "private",
        ShmSize: 64 * MiB,
        RestartPolicy: { Name: "no" },
        AutoRemove: false,
        LogConfig: {
          Type: "json-file",
          Config: { "max-size": "8m", "max-file": "1" },
        },
      },
    });
  });

  it("adds the configured runtime and nothing else", () => {
    const spec = buildContainerSpec(
      inputs({ spec: runSpec({ runtime: "runsc" }) }),
    );
    const plain = buildContainerSpec(inputs());
    expect(spec.HostConfig).toStrictEqual({
      ...plain.HostConfig,
      Runtime: "runsc",
    });
  });

  it("inherits nothing from the host environment", () => {
    process.env.SANDBOX_SPEC_CANARY = "leaked";
    try {
      const env = buildContainerSpec(inputs()).Env.join("\n");
      expect(env).not.toContain("SANDBOX_SPEC_CANARY");
      expect(env).not.toContain(process.env.PATH ?? "never");
    } finally {
      delete process.env.SANDBOX_SPEC_CANARY;
    }
  });

  it.each([
    ["the Docker socket", { workspaceDir: "/var/run/docker.sock" }],
    ["a parent of the Docker socket", { workspaceDir: "/var/run" }],
    ["the root folder", { cacheMirrorDir: "/" }],
    ["a path climbing out", { workspaceDir: "/srv/runs/../../var/run" }],
    ["a relative path", { workspaceDir: "runs/run-42/workspace" }],
    ["a trailing slash", { workspaceDir: "/srv/runs/run-42/" }],
    ["the host's /etc", { cacheMirrorDir: "/etc" }],
    ["the engine state", { cacheMirrorDir: "/var/lib/docker/volumes/x" }],
    ["a socket named like Docker's", { doorSocketPath: "/srv/docker.sock" }],
    [
      "the configured engine socket",
      {
        doorSocketPath: "/srv/engine/api.sock",
        engineSocket: "/srv/engine/api.sock",
      },
    ],
    [
      "a parent of the configured socket",
      {
        workspaceDir: "/srv/engine",
        engineSocket: "/srv/engine/api.sock",
      },
    ],
    ["proc", { doorSocketPath: "/proc/1/root/var/run/docker.sock" }],
    ["a cache over the workspace", { cacheMirrorDir: "/workspace/cache" }],
    ["a cache over the entrypoint", { cacheMirrorDir: "/opt/agent-sandbox" }],
  ] as const)("refuses a mount of %s", (_what, overrides) => {
    expect(() => buildContainerSpec(inputs(overrides))).toThrow(
      expect.objectContaining({ code: "SANDBOX_SPEC_REFUSED" }),
    );
  });

  it.each([
    [
      "the Docker socket via DOCKER_HOST",
      {
        DOCKER_HOST: "unix:///var/run/docker.sock",
      },
    ],
    [
      "the Docker socket under another name",
      {
        SOCKET: "/var/run/docker.sock",
      },
    ],
    ["an override of the door token", { AGENT_DOOR_TOKEN: "other" }],
    ["an override of HOME", { HOME: "/" }],
    ["an override of PATH", { PATH: "/workspace/bin" }],
    ["a preloaded library", { LD_PRELOAD: "/workspace/evil.so" }],
    ["a proxy of its own", { https_proxy: "http://10.0.0.1:8080" }],
    ["git configuration", { GIT_CONFIG_GLOBAL: "/workspace/gitconfig" }],
    ["node options", { NODE_OPTIONS: "--require /workspace/x.js" }],
    ["a name with an equals sign", { "A=B": "c" }],
    ["a NUL byte", { NAME: "a\0b" }],
  ] as const)("refuses an agent variable carrying %s", (_what, agentEnv) => {
    const spec = runSpec({ agentEnv: { ...agentEnv } });
    expect(() => buildContainerSpec(inputs({ spec }))).toThrow(
      expect.objectContaining({ code: "SANDBOX_SPEC_REFUSED" }),
    );
  });

  it("refuses a run id that is not a plain name", () => {
    const spec = runSpec({ runId: "../../x" });
    expect(() => buildContainerSpec(inputs({ spec }))).toThrow(/run id/);
  });

  it("refuses a task too large for the environment", () => {
    const spec = runSpec({ task: "x".repeat(200 * 1024) });
    expect(() => buildContainerSpec(inputs({ spec }))).toThrow(/AGENT_TASK/);
  });
});
