import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const ENTRYPOINT_SOURCE = fileURLToPath(
  new URL("../entrypoint/main.ts", import.meta.url),
);

// Debian bookworm ships Node.js 18; the bundle must run there.
const IMAGE_NODE_TARGET = "node18";

/**
 * Bundles the in-container entrypoint into one ES module for the image's
 * Node.js. The output is deterministic for the same sources, which the image
 * tag relies on.
 */
export async function bundleEntrypoint(): Promise<Buffer> {
  const result = await build({
    entryPoints: [ENTRYPOINT_SOURCE],
    absWorkingDir: path.dirname(ENTRYPOINT_SOURCE),
    bundle: true,
    platform: "node",
    format: "esm",
    target: IMAGE_NODE_TARGET,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild produced no entrypoint bundle");
  return Buffer.from(output.contents);
}
