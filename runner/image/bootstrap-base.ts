import { spawn } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

import type { Logger } from "pino";

import type { DockerEngine } from "../sandbox/docker-engine.ts";
import { SandboxError } from "../sandbox/sandbox-error.ts";

// Where no registry can be reached, the base image is made from Debian's own
// packages instead: the same suite the runner Dockerfile expects, imported
// under a fixed tag so it is made once per machine.

export const BOOTSTRAP_REPOSITORY = "agent-sandbox-base";
export const BOOTSTRAP_TAG = "bookworm-minbase";
const SUITE = "bookworm";
const MIRROR = "http://deb.debian.org/debian";
const DEBOOTSTRAP = "/usr/sbin/debootstrap";

// The same sources as Debian's own container images, so `apt-get` in the
// Dockerfile sees updates and security fixes on either base.
const SOURCES = `Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

export interface BootstrapOptions {
  log: Logger;
  onProgress: (line: string) => void;
}

/** Returns the reference of the bootstrapped base, making it if missing. */
export async function ensureBootstrappedBase(
  engine: DockerEngine,
  { log, onProgress }: BootstrapOptions,
): Promise<string> {
  const reference = `${BOOTSTRAP_REPOSITORY}:${BOOTSTRAP_TAG}`;
  if (await engine.inspectImage(reference)) return reference;

  await access(DEBOOTSTRAP).catch((err: unknown) => {
    throw failure(`${DEBOOTSTRAP} is not installed`, err);
  });
  if (process.getuid?.() !== 0) {
    throw failure("debootstrap needs root to make device nodes and owners");
  }

  const started = Date.now();
  const root = await mkdtemp(path.join(os.tmpdir(), "agent-sandbox-rootfs-"));
  try {
    onProgress(`bootstrapping ${SUITE} from ${MIRROR}`);
    const args = ["--variant=minbase", SUITE, root, MIRROR];
    const code = await runLines(DEBOOTSTRAP, args, onProgress);
    if (code !== 0) throw failure(`debootstrap exited with ${code}`);

    await rm(path.join(root, "etc/apt/sources.list"), { force: true });
    await writeFile(
      path.join(root, "etc/apt/sources.list.d/debian.sources"),
      SOURCES,
    );

    onProgress(`importing the base as ${reference}`);
    await importFolder(engine, root, reference);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  log.info(
    { image: reference, durationMs: Date.now() - started },
    "base image bootstrapped",
  );
  return reference;
}

async function importFolder(
  engine: DockerEngine,
  root: string,
  reference: string,
): Promise<void> {
  // Downloaded packages and package lists are left out: the Dockerfile
  // fetches fresh lists, and they would double the base's size.
  const tar = spawn(
    "tar",
    [
      "--create",
      "--numeric-owner",
      "--directory",
      root,
      "--exclude=./var/cache/apt/archives/*.deb",
      "--exclude=./var/lib/apt/lists/*",
      ".",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number>((resolve) =>
    tar.on("close", (code) => resolve(code ?? 1)),
  );
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

  await engine.importImage(tar.stdout, BOOTSTRAP_REPOSITORY, BOOTSTRAP_TAG);
  const code = await exited;
  if (code !== 0) {
    await engine.removeImage(reference);
    throw failure(`tar of the bootstrapped folder failed: ${stderr.trim()}`);
  }
}

function runLines(
  command: string,
  args: string[],
  onLine: (line: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

function failure(message: string, cause?: unknown): SandboxError {
  return new SandboxError(
    "RUNNER_BASE_BOOTSTRAP_FAILED",
    `Could not bootstrap the runner base image: ${message}.`,
    { cause },
  );
}
