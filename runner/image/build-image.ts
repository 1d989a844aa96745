import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { Logger } from "pino";

import type { DockerEngine, ImageInfo } from "../sandbox/docker-engine.ts";
import { SandboxError } from "../sandbox/sandbox-error.ts";
import { ensureBootstrappedBase } from "./bootstrap-base.ts";
import { bundleEntrypoint } from "./bundle-entrypoint.ts";

export const RUNNER_REPOSITORY = "agent-sandbox-runner";
const DOCKERFILE = fileURLToPath(new URL("./Dockerfile", import.meta.url));
// Debian's bundle of trusted certificates on the host. The build fetches
// from the npm registry with what the host trusts; see the Dockerfile.
const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const TAG_HEX_LENGTH = 16;

export interface RunnerImage {
  id: string;
  tag: string;
}

export interface EnsureImageOptions {
  baseImage: string;
  log: Logger;
  onProgress: (line: string) => void;
}

// One build per tag at a time within a process: concurrent runs that find
// the image missing wait for the same build.
const building = new Map<string, Promise<RunnerImage>>();

/**
 * The runner image for the current sources, built only when its tag is not
 * present yet. The tag hashes everything that decides the image's content
 * that is ours: the Dockerfile, the entrypoint bundle and the base reference.
 */
export async function ensureRunnerImage(
  engine: DockerEngine,
  options: EnsureImageOptions,
): Promise<RunnerImage> {
  await engine.ping().catch((err: unknown) => {
    throw new SandboxError(
      "DOCKER_UNREACHABLE",
      "The Docker engine did not answer.",
      { cause: err },
    );
  });

  const dockerfile = await readFile(DOCKERFILE);
  const bundle = await bundleEntrypoint();
  const tag = runnerImageTag(dockerfile, bundle, options.baseImage);

  const existing = await engine.inspectImage(tag);
  if (existing) return { id: existing.id, tag };

  const pending = building.get(tag);
  if (pending) return pending;
  const build = buildImage(engine, { ...options, tag, dockerfile, bundle });
  building.set(tag, build);
  try {
    return await build;
  } finally {
    building.delete(tag);
  }
}

export function runnerImageTag(
  dockerfile: Buffer,
  bundle: Buffer,
  baseImage: string,
): string {
  const hash = createHash("sha256");
  for (const part of [dockerfile, bundle, Buffer.from(baseImage)]) {
    // Length-prefixed so no two different inputs hash the same stream.
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  return `${RUNNER_REPOSITORY}:${hash.digest("hex").slice(0, TAG_HEX_LENGTH)}`;
}

interface BuildInputs extends EnsureImageOptions {
  tag: string;
  dockerfile: Buffer;
  bundle: Buffer;
}

async function buildImage(
  engine: DockerEngine,
  inputs: BuildInputs,
): Promise<RunnerImage> {
  const { log, onProgress, tag } = inputs;
  const started = Date.now();
  const base = await resolveBase(engine, inputs);

  const context = await mkdtemp(path.join(os.tmpdir(), "agent-sandbox-image-"));
  let image: ImageInfo;
  try {
    await writeFile(path.join(context, "Dockerfile"), inputs.dockerfile);
    await writeFile(path.join(context, "entrypoint.mjs"), inputs.bundle);
    const ca = path.join(context, "build-ca-certificates.crt");
    await copyFile(HOST_CA_BUNDLE, ca).catch(() => writeFile(ca, ""));

    onProgress(`building ${tag} on ${base}`);
    image = await engine.buildImage({
      contextDir: context,
      files: ["Dockerfile", "entrypoint.mjs", "build-ca-certificates.crt"],
      tag,
      buildArgs: { BASE_IMAGE: base },
      onProgress,
    });
  } catch (err) {
    throw new SandboxError(
      "RUNNER_IMAGE_BUILD_FAILED",
      `Building ${tag} on ${base} failed.`,
      { cause: err },
    );
  } finally {
    await rm(context, { recursive: true, force: true });
  }

  log.info(
    { image: tag, imageId: image.id, base, durationMs: Date.now() - started },
    "runner image built",
  );
  return { id: image.id, tag };
}

/** The configured base when present or pullable, else a bootstrapped one. */
async function resolveBase(
  engine: DockerEngine,
  { baseImage, log, onProgress }: BuildInputs,
): Promise<string> {
  if (await engine.inspectImage(baseImage)) return baseImage;
  try {
    onProgress(`pulling ${baseImage}`);
    await engine.pullImage(baseImage, onProgress);
    return baseImage;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.info({ image: baseImage, reason }, "base image not pullable");
    onProgress(`${baseImage} cannot be pulled; bootstrapping from Debian`);
  }
  return ensureBootstrappedBase(engine, { log, onProgress });
}
