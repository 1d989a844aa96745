import type { IncomingMessage, ServerResponse } from "node:http";

import { spawnGit } from "./git-process.ts";
import { copyBounded, requestBody } from "./git-request-body.ts";

// A fetch's negotiation (wants and haves) is small; a request larger than
// this is not a fetch.
const MAX_UPLOAD_REQUEST_BYTES = 32 * 1024 * 1024;

export const UPLOAD_RESULT_TYPE = "application/x-git-upload-pack-result";

/**
 * POST /git/<repo>.git/git-upload-pack: a fetch served by git itself from
 * the cache mirror (host-owned, hooks off, config isolated). The request
 * streams in and the pack streams out; neither is held in memory.
 */
export async function handleUploadPack(
  req: IncomingMessage,
  res: ServerResponse,
  mirrorDir: string,
): Promise<void> {
  const body = requestBody(req);
  const child = spawnGit([
    "upload-pack",
    "--stateless-rpc",
    "--strict",
    mirrorDir,
  ]);
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", resolve);
    child.on("error", () => resolve(null));
  });
  res.on("close", () => child.kill("SIGKILL"));

  let started = false;
  child.stdout.once("data", () => {
    started = true;
  });
  res.writeHead(200, {
    "content-type": UPLOAD_RESULT_TYPE,
    "cache-control": "no-cache",
  });
  child.stdout.pipe(res);

  const copy = await copyBounded(
    body,
    Buffer.alloc(0),
    child.stdin,
    MAX_UPLOAD_REQUEST_BYTES,
  );
  if (copy !== "complete") {
    child.kill("SIGKILL");
    req.socket.destroy();
  }
  const code = await exited;
  if (code !== 0 && !started) res.destroy();
}
