import path from "node:path";

import { SandboxError } from "./sandbox-error.ts";

// Host paths the sandbox may never see, not even through a parent folder:
// the engine's control sockets and state (a mounted Docker socket is root on
// the host), the kernel's interfaces and the host's system folders.
const SENSITIVE_HOST_PATHS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/var/run/docker",
  "/run/docker",
  "/run/containerd",
  "/var/run/containerd",
  "/var/lib/docker",
  "/var/lib/containerd",
  "/proc",
  "/sys",
  "/dev",
  "/etc",
  "/boot",
  "/root",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
];

// Folders inside the container that the image or the sandbox itself owns;
// the repository cache is mounted at its host path, so that path must not
// land on top of one of these.
const RESERVED_CONTAINER_PATHS = [
  "/workspace",
  "/opt/agent-sandbox",
  "/run/agent-sandbox",
  "/tmp/home",
];

const ENGINE_SOCKET_NAMES = [
  "docker.sock",
  "containerd.sock",
  "dockershim.sock",
];

/**
 * Refuses a host path that would weaken the sandbox if bind-mounted: not
 * absolute and normalised, a system folder, an engine socket, or a parent of
 * any of them. `engineSocket` is the configured Docker socket, wherever it is.
 */
export function assertMountableHostPath(
  what: string,
  hostPath: string,
  engineSocket: string,
): void {
  const refuse = (why: string): never => {
    throw new SandboxError(
      "SANDBOX_SPEC_REFUSED",
      `The ${what} path ${JSON.stringify(hostPath)} ${why}.`,
    );
  };

  if (hostPath.includes("\0")) refuse("contains a NUL byte");
  if (!path.posix.isAbsolute(hostPath)) refuse("is not absolute");
  if (path.posix.normalize(hostPath) !== hostPath || hostPath.endsWith("/")) {
    refuse("is not in normal form (no `..`, `.`, `//` or trailing slash)");
  }
  if (ENGINE_SOCKET_NAMES.includes(path.posix.basename(hostPath))) {
    refuse("names a container engine socket");
  }

  for (const sensitive of [...SENSITIVE_HOST_PATHS, engineSocket]) {
    if (isSameOrInside(hostPath, sensitive)) {
      refuse(`is ${sensitive} or inside it`);
    }
    if (isSameOrInside(sensitive, hostPath)) {
      refuse(`would expose ${sensitive}`);
    }
  }
}

/** Refuses a container target that would shadow the sandbox's own folders. */
export function assertFreeContainerPath(what: string, target: string): void {
  for (const reserved of RESERVED_CONTAINER_PATHS) {
    if (isSameOrInside(target, reserved) || isSameOrInside(reserved, target)) {
      throw new SandboxError(
        "SANDBOX_SPEC_REFUSED",
        `The ${what} path ${JSON.stringify(target)} overlaps ${reserved} inside the container.`,
      );
    }
  }
}

function isSameOrInside(candidate: string, folder: string): boolean {
  if (folder === "/") return true;
  return candidate === folder || candidate.startsWith(`${folder}/`);
}
