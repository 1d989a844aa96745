import { spawn } from "node:child_process";

import pino from "pino";

import { ensureRunnerImage } from "../runner/image/build-image.ts";
import {
  createDockerEngine,
  type DockerEngine,
} from "../runner/sandbox/docker-engine.ts";
import { runContainer } from "../runner/sandbox/run-container.ts";
import { makeSandboxFixture } from "../test/support/sandbox-fixture.ts";
import type { BenchResult } from "./index.ts";
import { median } from "./sample-stats.ts";

// Odd, so the median is a real sample; each round costs about a second.
const ROUNDS = 5;
const TARGET_RATIO = 1.5;
const DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * Dispatch overhead: from handing a run to the runner (workspace already
 * prepared) until the agent's first output byte, as a ratio to a plain
 * `docker run --rm` of the same image doing nothing, both measured here and
 * interleaved round by round so machine noise hits both alike.
 */
export async function dispatchBench(): Promise<BenchResult> {
  const log = pino({ level: "silent" });
  const engine = createDockerEngine(DOCKER_SOCKET);
  const image = await ensureRunnerImage(engine, {
    baseImage: "debian:bookworm-slim",
    log,
    onProgress: () => {},
  });
  const fixture = await makeSandboxFixture({ instance: "dispatch-bench" });

  try {
    // One unmeasured round of each warms the engine's and the page caches.
    await plainDockerRun(image.tag);
    await dispatchOnce(engine, fixture.inputs(image.tag), log);

    const plain: number[] = [];
    const dispatch: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      plain.push(await plainDockerRun(image.tag));
      dispatch.push(await dispatchOnce(engine, fixture.inputs(image.tag), log));
    }

    const plainMs = median(plain);
    const dispatchMs = median(dispatch);
    return {
      name: "dispatch",
      ratio: dispatchMs / plainMs,
      details: {
        target: `<= ${TARGET_RATIO}`,
        dispatchMedianMs: Math.round(dispatchMs),
        dockerRunMedianMs: Math.round(plainMs),
        dispatchMs: dispatch.map(Math.round).join(" "),
        dockerRunMs: plain.map(Math.round).join(" "),
        image: image.tag,
      },
    };
  } finally {
    await fixture.cleanup();
  }
}

async function dispatchOnce(
  engine: DockerEngine,
  inputs: Parameters<typeof runContainer>[1]["inputs"],
  log: pino.Logger,
): Promise<number> {
  const startedAt = Date.now();
  const result = await runContainer(engine, {
    inputs: { ...inputs, spec: { ...inputs.spec, agentCommand: "echo hi" } },
    log,
  });
  if (result.exitCode !== 0 || result.timings.firstOutputAt === null) {
    throw new Error(
      `bench run failed: exit ${result.exitCode}, output ${result.output}`,
    );
  }
  // The first output byte is stamped with the wall clock, so the start is
  // taken from the same clock.
  return result.timings.firstOutputAt - startedAt;
}

function plainDockerRun(image: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      "docker",
      ["run", "--rm", "--entrypoint", "true", image],
      { stdio: "ignore" },
    );
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`docker run exited with ${code}`));
    });
  });
}
