import { describe, expect, it } from "vitest";

import { checkRuntime } from "../../runner/sandbox/check-runtime.ts";
import type {
  DockerEngine,
  RuntimeInfo,
} from "../../runner/sandbox/docker-engine.ts";

// Only `runtimes` is consulted; any other call is a test failure.
function engineWith(runtimes: Record<string, RuntimeInfo>): DockerEngine {
  return new Proxy({} as DockerEngine, {
    get: (_target, name) =>
      name === "runtimes"
        ? async () => runtimes
        : () => {
            throw new Error(`unexpected engine call ${String(name)}`);
          },
  });
}

const runc = { path: "runc", args: [] };

describe("checkRuntime", () => {
  it("accepts the engine's default runtime without asking", async () => {
    await expect(checkRuntime(engineWith({}), undefined)).resolves.toBe(
      undefined,
    );
  });

  it("refuses a runtime the engine does not have, naming those it has", async () => {
    await expect(
      checkRuntime(engineWith({ runc }), "kata"),
    ).rejects.toMatchObject({
      code: "RUNTIME_UNUSABLE",
      message: expect.stringContaining("registered: runc"),
    });
  });

  it("refuses gVisor registered without host Unix socket access", async () => {
    const runsc = { path: "/usr/bin/runsc", args: ["--network=none"] };
    await expect(
      checkRuntime(engineWith({ runc, runsc }), "runsc"),
    ).rejects.toMatchObject({
      code: "RUNTIME_UNUSABLE",
      message: expect.stringContaining("--host-uds=open"),
    });
  });

  it.each([["--host-uds=open"], ["--host-uds=all"], ["--fsgofer-host-uds"]])(
    "accepts gVisor registered with %s, under any name",
    async (flag) => {
      const gvisor = { path: "/usr/bin/runsc", args: ["--network=none", flag] };
      await expect(
        checkRuntime(engineWith({ runc, gvisor }), "gvisor"),
      ).resolves.toBe(undefined);
    },
  );
});
