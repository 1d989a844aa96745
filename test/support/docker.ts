import Docker from "dockerode";

/**
 * Whether a Docker engine answers. Under CI a missing engine is a failure,
 * never a silent skip: `.ci/run` is responsible for starting one.
 */
export async function dockerAvailable(): Promise<boolean> {
  const docker = new Docker();
  try {
    await docker.ping();
    return true;
  } catch (err) {
    if (process.env.CI === "true") {
      throw new Error(
        "CI=true but no Docker engine answers on /var/run/docker.sock; .ci/run must start dockerd before the tests.",
        { cause: err },
      );
    }
    return false;
  }
}
