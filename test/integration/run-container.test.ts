import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { ensureRunnerImage } from "../../runner/image/build-image.ts";
import {
  buildContainerSpec,
  INSTANCE_LABEL,
} from "../../runner/sandbox/container-spec.ts";
import {
  createDockerEngine,
  type DockerEngine,
} from "../../runner/sandbox/docker-engine.ts";
import { checkRuntime } from "../../runner/sandbox/check-runtime.ts";
import { runContainer } from "../../runner/sandbox/run-container.ts";
import { sweepContainers } from "../../runner/sandbox/sweep-containers.ts";
import type { Limits } from "../../runner/types.ts";
import { dockerAvailable } from "../support/docker.ts";
import {
  git,
  makeSandboxFixture,
  TEST_BRANCH,
  testRunSpec,
  type SandboxFixture,
} from "../support/sandbox-fixture.ts";

const MiB = 1024 * 1024;
const INSTANCE = "sandbox-test";
const log = pino({ level: "silent" });
const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)("runContainer against the real engine", () => {
  let engine: DockerEngine;
  let image: string;
  const cleanups: Cleanup[] = [];

  beforeAll(async () => {
    ({ engine, image } = await engineWithImage());
  });

  afterEach(async () => {
    await undo(cleanups);
    // No test may leave a container of ours behind.
    const left = await engine.listContainers(`${INSTANCE_LABEL}=${INSTANCE}`);
    expect(left).toEqual([]);
  });

  afterAll(async () => {
    await undo(cleanups);
  });

  async function fixture(options: { refusePushes?: boolean } = {}) {
    const made = await makeSandboxFixture({ instance: INSTANCE, ...options });
    cleanups.push(() => made.cleanup());
    return made;
  }

  function limits(overrides: Partial<Limits>): Limits {
    return { ...testRunSpec().limits, ...overrides };
  }

  async function run(
    made: SandboxFixture,
    agentCommand: string,
    extra: { limits?: Partial<Limits>; signal?: AbortSignal } = {},
  ) {
    const spec = { agentCommand, limits: limits(extra.limits ?? {}) };
    return runContainer(engine, {
      inputs: made.inputs(image, spec),
      log,
      signal: extra.signal,
    });
  }

  it("contains the agent: no capabilities, non-root, read-only, no network, no host environment", async () => {
    const made = await fixture();
    const result = await withCanary(() => run(made, CONTAINMENT_PROBE));

    expectContained(result.exitCode, result.output, made);
    expect(result.output).toMatch(/NoNewPrivs:\s+1/);
    expect(result.output).toMatch(/Seccomp:\s+2/);
  });

  it("commits what the agent left and pushes it to the scoped branch through the door", async () => {
    const made = await fixture();
    const result = await run(made, "echo fixed > fix.txt && echo done");

    expect(result.exitCode).toBe(0);
    const pushed = await git(made.upstreamDir, [
      "log",
      "--format=%s",
      TEST_BRANCH,
    ]);
    expect(pushed.split("\n")[0]).toBe("Changes left uncommitted by the agent");
    const tree = await git(made.upstreamDir, [
      "ls-tree",
      "--name-only",
      TEST_BRANCH,
    ]);
    expect(tree.split("\n")).toContain("fix.txt");
    const auth = made.door.seen.find((r) => r.url.includes("receive-pack"));
    const expected = Buffer.from(
      "x-access-token:test-door-credential-0001",
    ).toString("base64");
    expect(auth?.authorization).toBe(`Basic ${expected}`);
    expect(result.output).not.toContain("test-door-credential-0001");
  });

  it("exits 86 when the door refuses the push, and passes a failing agent's code through", async () => {
    const refusing = await fixture({ refusePushes: true });
    const refused = await run(refusing, "echo change > file.txt");
    expect(refused.exitCode).toBe(86);

    const failing = await fixture();
    const failed = await run(failing, "echo change > file.txt; exit 3");
    expect(failed.exitCode).toBe(3);
    const branches = await git(failing.upstreamDir, ["branch", "--list"]);
    expect(branches).not.toContain(TEST_BRANCH);
  });

  it("bounds the number of processes and reports the limit was hit", async () => {
    const made = await fixture();
    const bomb =
      "for i in $(seq 1 300); do sleep 4 & done 2>/dev/null; wait; echo survived";
    const result = await run(made, bomb, { limits: { pids: 48 } });

    expect(result.pidsLimitHit).toBe(true);
    expect(result.killedBy).toBeNull();
  });

  it("kills an agent over its memory limit and reports out of memory", async () => {
    const made = await fixture();
    // Holds 80 MiB long enough to be sampled, then asks for far more.
    const hog = [
      'python3 -c "import time',
      "held = bytearray(b'x') * (80 * 1024 * 1024)",
      "time.sleep(1.5)",
      "more = bytearray(b'x') * (512 * 1024 * 1024)\"",
    ].join("\n");
    const result = await run(made, hog, {
      limits: { memoryBytes: 128 * MiB },
    });

    expect(result.oomKilled).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.peakMemoryBytes).toBeGreaterThan(64 * MiB);
  });

  it("kills the container at the wall-clock deadline", async () => {
    const made = await fixture();
    const result = await run(made, "echo started; sleep 120", {
      limits: { timeoutSeconds: 2 },
    });

    expect(result.killedBy).toBe("deadline");
    expect(result.output).toContain("started");
    const ranMs =
      (result.timings.exitedAt ?? 0) - (result.timings.startedAt ?? 0);
    expect(ranMs).toBeLessThan(60_000);
  });

  it("kills and removes the container when the run is cancelled", async () => {
    const made = await fixture();
    const stop = new AbortController();
    const running = runContainer(engine, {
      inputs: made.inputs(image, { agentCommand: "echo ready; sleep 120" }),
      log,
      signal: stop.signal,
      onOutput: (text) => {
        if (text.includes("ready")) stop.abort();
      },
    });
    const result = await running;

    expect(result.killedBy).toBe("cancel");
    expect(result.containerId).not.toBeNull();
    const left = await engine.listContainers(`${INSTANCE_LABEL}=${INSTANCE}`);
    expect(left.map((c) => c.id)).not.toContain(result.containerId);
  });

  it("sweeps only this instance's containers of inactive runs", async () => {
    const made = await fixture();
    const create = async (instance: string, labelled: boolean) => {
      const spec = buildContainerSpec({
        ...made.inputs(image),
        instance,
      });
      if (!labelled) spec.Labels = {};
      const id = await engine.createContainer(spec);
      cleanups.push(() => engine.removeContainer(id));
      return { id, runId: spec.Labels["agent-sandbox.run"] };
    };
    const stale = await create(INSTANCE, true);
    const active = await create(INSTANCE, true);
    const foreign = await create("another-install", true);
    const unlabelled = await create(INSTANCE, false);

    const removed = await sweepContainers(
      engine,
      INSTANCE,
      (runId) => runId === active.runId,
    );

    expect(removed).toEqual([stale.id]);
    for (const kept of [active, foreign, unlabelled]) {
      expect(await engine.inspectContainer(kept.id)).toMatchObject({
        id: kept.id,
      });
    }
  });
});

// gVisor runs the same container behind its own kernel. Its sandbox threads
// count against the pids cgroup, so the process limit is left at a size the
// runtime itself fits in. Runs only where runsc is registered in a usable
// way (`checkRuntime`, unit-tested, says what is missing otherwise).
const hasRunsc = hasDocker && (await runscUsable());

describe.skipIf(!hasRunsc)("runContainer under gVisor (runsc)", () => {
  let engine: DockerEngine;
  let image: string;
  const cleanups: Cleanup[] = [];

  beforeAll(async () => {
    ({ engine, image } = await engineWithImage());
  });

  afterAll(async () => {
    await undo(cleanups);
    const left = await engine.listContainers(`${INSTANCE_LABEL}=${INSTANCE}`);
    expect(left).toEqual([]);
  });

  it("keeps every containment property and reaches the door", async () => {
    const made = await makeSandboxFixture({ instance: INSTANCE });
    cleanups.push(() => made.cleanup());
    const spec = {
      agentCommand: `${CONTAINMENT_PROBE}\necho pushed > gvisor.txt`,
      runtime: "runsc",
      limits: { ...testRunSpec().limits, pids: 512 },
    };

    const result = await withCanary(() =>
      runContainer(engine, { inputs: made.inputs(image, spec), log }),
    );

    expectContained(result.exitCode, result.output, made);
    const tree = await git(made.upstreamDir, [
      "ls-tree",
      "--name-only",
      TEST_BRANCH,
    ]);
    expect(tree.split("\n")).toContain("gvisor.txt");
  });
});

/** The engine and the runner image, built once and cached by its tag. */
async function engineWithImage(): Promise<{
  engine: DockerEngine;
  image: string;
}> {
  const engine = createDockerEngine("/var/run/docker.sock");
  const built = await ensureRunnerImage(engine, {
    baseImage: "debian:bookworm-slim",
    log,
    onProgress: () => {},
  });
  return { engine, image: built.tag };
}

type Cleanup = () => Promise<void>;

/** Undoes what the tests set up, last first, and empties the list. */
async function undo(cleanups: Cleanup[]): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

async function runscUsable(): Promise<boolean> {
  const engine = createDockerEngine("/var/run/docker.sock");
  return checkRuntime(engine, "runsc").then(
    () => true,
    () => false,
  );
}

// Each line reports one property as seen from inside the container, in a
// form that holds under runc and gVisor alike.
const CONTAINMENT_PROBE = [
  'echo "uid=$(id -u) gid=$(id -g)"',
  'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status',
  'touch /usr/probe 2>/dev/null && echo "root=writable" || echo "root=readonly"',
  `echo "net=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | tr "\\n" " ")"`,
  "head -c 24M /dev/zero > /tmp/fill 2>/dev/null && echo tmp=unbounded || echo tmp=capped",
  "rm -f /tmp/fill",
  "cp /bin/true /tmp/t && { /tmp/t 2>/dev/null && echo tmpexec=yes || echo tmpexec=no; }",
  'env | grep -c "HOST_CANA[R]Y=" | sed "s/^/canary=/"',
  'echo "names=$(compgen -e | sort | tr "\\n" " ")"',
  'echo "door=$(curl -s http://127.0.0.1:3128/hello)"',
  'echo "task=$(cat "$AGENT_TASK_FILE")"',
  'echo "proxy=$HTTPS_PROXY"',
].join("\n");

const SANDBOX_VARIABLE =
  /^(AGENT_[A-Z_]+|HOME|PATH|LANG|PWD|OLDPWD|SHLVL|HOSTNAME|_|(HTTPS?|NO)_PROXY|(https?|no)_proxy|GIT_TERMINAL_PROMPT)$/;

/** Runs `body` with a variable in this process that must not get inside. */
async function withCanary<T>(body: () => Promise<T>): Promise<T> {
  process.env.AGENT_SANDBOX_HOST_CANARY = "host-secret-canary";
  try {
    return await body();
  } finally {
    delete process.env.AGENT_SANDBOX_HOST_CANARY;
  }
}

function expectContained(
  exitCode: number | null,
  out: string,
  made: SandboxFixture,
): void {
  expect(exitCode).toBe(0);
  expect(out).toContain("uid=10001 gid=10001");
  expect(out).toMatch(/CapEff:\s+0000000000000000/);
  expect(out).toMatch(/CapPrm:\s+0000000000000000/);
  expect(out).toMatch(/CapBnd:\s+0000000000000000/);
  expect(out).toContain("root=readonly");
  expect(out).toContain("net=lo \n");
  expect(out).toContain("tmp=capped");
  expect(out).toContain("tmpexec=no");
  expect(out).toContain("canary=0");
  expect(out).not.toContain("host-secret-canary");
  expect(out).toContain("door=door:GET /hello");
  expect(out).toContain("task=Say hello");
  expect(out).toContain("proxy=http://127.0.0.1:3128");
  expect(made.door.seen.map((r) => r.url)).toContain("/hello");
  const names =
    out
      .match(/names=(.*)/)?.[1]
      ?.trim()
      .split(" ") ?? [];
  expect(names).toContain("AGENT_TASK_FILE");
  for (const name of names) expect(name).toMatch(SANDBOX_VARIABLE);
}
