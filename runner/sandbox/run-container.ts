import { stat, realpath } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";

import type { Logger } from "pino";

import { CgroupSampler } from "./cgroup-sampler.ts";
import { buildContainerSpec, type SandboxInputs } from "./container-spec.ts";
import type { DockerEngine } from "./docker-engine.ts";
import { OutputCapture } from "./output-capture.ts";
import { SandboxError } from "./sandbox-error.ts";
import { SecretScrubber } from "./scrub-secrets.ts";

// Cgroup files exist only while the container runs (see cgroup-sampler.ts);
// a fork bomb or an allocation spike lasts far longer than this interval.
const SAMPLE_INTERVAL_MS = 200;
// After the container exits, the engine closes the attached stream shortly;
// output still in flight after this long is given up on.
const OUTPUT_DRAIN_MS = 2_000;

export type KilledBy = "deadline" | "cancel";

export interface RunContainerOptions {
  inputs: SandboxInputs;
  log: Logger;
  signal?: AbortSignal;
  /** Scrubbed output as it arrives, whole lines where possible. */
  onOutput?: (text: string) => void;
  onStarted?: (containerId: string) => void;
}

export interface ContainerRunResult {
  containerId: string | null;
  /** The entrypoint's exit code; null when the container never ran. */
  exitCode: number | null;
  killedBy: KilledBy | null;
  oomKilled: boolean;
  pidsLimitHit: boolean;
  peakMemoryBytes: number | null;
  /** Epoch milliseconds; null for what did not happen. */
  timings: {
    requestedAt: number;
    startedAt: number | null;
    firstOutputAt: number | null;
    exitedAt: number | null;
  };
  /** Head and tail of the output, credentials scrubbed. */
  output: string;
  outputBytes: number;
}

/**
 * Runs one sandbox container to its end: created, started, watched against
 * the deadline and the abort signal, measured, and always removed.
 */
export async function runContainer(
  engine: DockerEngine,
  options: RunContainerOptions,
): Promise<ContainerRunResult> {
  const { inputs, signal } = options;
  const requestedAt = Date.now();
  const scrubber = new SecretScrubber([inputs.credential]);
  const capture = new OutputCapture({ scrubber, onOutput: options.onOutput });
  const result: ContainerRunResult = {
    containerId: null,
    exitCode: null,
    killedBy: null,
    oomKilled: false,
    pidsLimitHit: false,
    peakMemoryBytes: null,
    timings: {
      requestedAt,
      startedAt: null,
      firstOutputAt: null,
      exitedAt: null,
    },
    output: "",
    outputBytes: 0,
  };
  if (signal?.aborted) return { ...result, killedBy: "cancel" };

  await assertMountSources(inputs);
  const spec = buildContainerSpec(inputs);
  let log = options.log.child({ runId: inputs.spec.runId });

  const kill = (why: KilledBy) => {
    if (result.killedBy) return;
    result.killedBy = why;
    log.info({ killedBy: why }, "killing container");
    if (result.containerId) {
      engine.killContainer(result.containerId).catch((err: unknown) => {
        log.error({ err }, "container kill failed");
      });
    }
  };
  const onAbort = () => kill("cancel");
  signal?.addEventListener("abort", onAbort, { once: true });
  let deadline: NodeJS.Timeout | undefined;

  try {
    const id = await engine.createContainer(spec);
    result.containerId = id;
    log = log.child({ containerId: id });
    if (result.killedBy) return result;

    const output = await engine.attachOutput(id);
    output.on("data", (chunk: Buffer) => {
      result.timings.firstOutputAt ??= Date.now();
      capture.write(chunk);
    });
    const drained = finished(output).catch(() => undefined);

    await engine.startContainer(id);
    result.timings.startedAt = Date.now();
    log.info({ image: spec.Image }, "container started");
    options.onStarted?.(id);
    if (signal?.aborted) kill("cancel");

    const timeoutMs = inputs.spec.limits.timeoutSeconds * 1000;
    deadline = setTimeout(() => kill("deadline"), timeoutMs);

    const sampler = new CgroupSampler(id, "");
    const stopSampling = new AbortController();
    const sampling = sampleUntil(sampler, stopSampling.signal);

    result.exitCode = await engine.waitContainer(id);
    result.timings.exitedAt = Date.now();
    stopSampling.abort();
    await sampling;
    Object.assign(result, sampler.result());

    await Promise.race([drained, delay(OUTPUT_DRAIN_MS)]);
    const state = await engine.inspectContainer(id);
    result.oomKilled = state.oomKilled;
    log.info(
      {
        exitCode: result.exitCode,
        killedBy: result.killedBy,
        oomKilled: result.oomKilled,
        pidsLimitHit: result.pidsLimitHit,
        durationMs: result.timings.exitedAt - (result.timings.startedAt ?? 0),
      },
      "container exited",
    );
    return result;
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
    capture.end();
    result.output = capture.text();
    result.outputBytes = capture.bytes;
    if (result.containerId) {
      await engine.removeContainer(result.containerId).catch((err: unknown) => {
        // The sweeper removes it at the next start; the run goes on.
        log.error({ err }, "container removal failed");
      });
    }
  }
}

async function sampleUntil(
  sampler: CgroupSampler,
  stop: AbortSignal,
): Promise<void> {
  while (!stop.aborted) {
    await sampler.sample();
    await delay(SAMPLE_INTERVAL_MS, undefined, { signal: stop }).catch(
      () => undefined,
    );
  }
}

/**
 * Bind mounts follow symbolic links on the host, so a path that passed the
 * spec's checks could still lead somewhere else. Each source must exist, be
 * of the expected kind, and be its own real path.
 */
async function assertMountSources(inputs: SandboxInputs): Promise<void> {
  const expected = [
    ["workspace", inputs.workspaceDir, "directory"],
    ["cache mirror", inputs.cacheMirrorDir, "directory"],
    ["door socket", inputs.doorSocketPath, "socket"],
  ] as const;
  for (const [what, hostPath, kind] of expected) {
    const refuse = (why: string): never => {
      throw new SandboxError(
        "SANDBOX_SPEC_REFUSED",
        `The ${what} path ${JSON.stringify(hostPath)} ${why}.`,
      );
    };
    const real = await realpath(hostPath).catch(() => refuse("does not exist"));
    if (real !== hostPath) refuse(`leads through a link to ${real}`);
    const info = await stat(real);
    const ok = kind === "socket" ? info.isSocket() : info.isDirectory();
    if (!ok) refuse(`is not a ${kind}`);
  }
}
