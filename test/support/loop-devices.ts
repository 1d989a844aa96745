import { constants } from "node:fs";
import { access } from "node:fs/promises";

/**
 * Whether this process can loop-mount workspace images (root and
 * /dev/loop-control). Under CI a missing capability is a failure, never a
 * silent skip: the workspace cap must be tested where it is shipped.
 */
export async function loopDevicesAvailable(): Promise<boolean> {
  let usable = process.getuid?.() === 0;
  try {
    await access("/dev/loop-control", constants.R_OK | constants.W_OK);
  } catch {
    usable = false;
  }
  if (!usable && process.env.CI === "true") {
    throw new Error(
      "CI=true but this process cannot loop-mount images: run the tests as root with /dev/loop-control available.",
    );
  }
  return usable;
}
