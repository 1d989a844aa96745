import path from "node:path";

import type { DockerEngine } from "./docker-engine.ts";
import { SandboxError } from "./sandbox-error.ts";

// gVisor refuses to open host Unix sockets unless told to, and the door is
// one: without the flag every run would start and then find no way out.
// The older spelling is still accepted by the 2022 builds.
const GVISOR_HOST_UDS = /^--?(host-uds=(open|all)|fsgofer-host-uds(=true)?)$/;

/**
 * Checks before any run that the configured runtime exists on the engine
 * and, for gVisor, may connect to the door's socket. `undefined` is the
 * engine's default runtime and always usable.
 */
export async function checkRuntime(
  engine: DockerEngine,
  runtime: string | undefined,
): Promise<void> {
  if (runtime === undefined) return;
  const runtimes = await engine.runtimes();
  const registered = runtimes[runtime];
  if (!registered) {
    const names = Object.keys(runtimes).join(", ");
    throw new SandboxError(
      "RUNTIME_UNUSABLE",
      `The runtime ${JSON.stringify(runtime)} is not registered with the Docker engine (registered: ${names}).`,
    );
  }

  const gvisor =
    path.basename(registered.path) === "runsc" || runtime === "runsc";
  if (gvisor && !registered.args.some((arg) => GVISOR_HOST_UDS.test(arg))) {
    throw new SandboxError(
      "RUNTIME_UNUSABLE",
      `The runtime ${JSON.stringify(runtime)} is gVisor without --host-uds=open in its runtimeArgs (has: ${registered.args.join(" ") || "none"}), so the sandbox could not reach its door.`,
    );
  }
}
