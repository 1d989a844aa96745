import { ensureRunnerImage } from "../../runner/image/build-image.ts";
import { createDockerEngine } from "../../runner/sandbox/docker-engine.ts";
import { createLogger } from "../../app/log/logger.ts";
import { dockerAvailable } from "./docker.ts";

const DEFAULT_BASE = "debian:bookworm-slim";

/**
 * Builds the runner image once, before any test file starts: on a fresh
 * machine that is several minutes (the base is bootstrapped from Debian
 * packages when it cannot be pulled), and test files running side by side
 * must not each start the same build. Progress goes to stderr.
 */
export default async function setup(): Promise<void> {
  if (!(await dockerAvailable())) return;
  const engine = createDockerEngine("/var/run/docker.sock");
  const started = Date.now();
  const image = await ensureRunnerImage(engine, {
    baseImage: process.env.RUNNER_BASE_IMAGE ?? DEFAULT_BASE,
    log: createLogger({ level: "warn", format: "json" }),
    onProgress: (line) => process.stderr.write(`[runner image] ${line}\n`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`[runner image] ready: ${image.tag} (${seconds}s)\n`);
}
