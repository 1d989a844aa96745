import type { IncomingMessage } from "node:http";
import type { Readable, Writable } from "node:stream";
import { createGunzip } from "node:zlib";

import {
  ProtocolError,
  PktSectionReader,
  type SectionLimits,
} from "./pkt-line.ts";

// Request bodies of the git routes are read as streams and never held
// whole: only the pkt-line command section is buffered (bounded by its
// limits), the pack flows straight into git.

// After an early answer, this much more of the body is read and thrown
// away so the client can finish sending and read the answer; a client that
// keeps sending past it loses the connection instead.
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

export class UnsupportedEncodingError extends Error {}

/** The request body, gunzipped when the client compressed it. */
export function requestBody(req: IncomingMessage): Readable {
  const encoding = req.headers["content-encoding"];
  if (encoding === undefined || encoding === "identity") return req;
  if (encoding === "gzip" || encoding === "x-gzip") {
    const gunzip = createGunzip();
    req.pipe(gunzip);
    return gunzip;
  }
  throw new UnsupportedEncodingError(
    `content encoding ${JSON.stringify(encoding).slice(0, 40)} is not supported`,
  );
}

export interface Section {
  packets: Buffer[];
  /** Bytes after the section's flush that were already read. */
  rest: Buffer;
}

/**
 * Reads one pkt-line section and leaves the stream paused right after it.
 * Rejects with `ProtocolError` on malformed or oversized input.
 */
export function readSection(
  body: Readable,
  limits: SectionLimits,
): Promise<Section> {
  const reader = new PktSectionReader(limits);
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      body.pause();
    };
    const onData = (chunk: Buffer) => {
      try {
        const progress = reader.push(chunk);
        if (!progress.done) return;
        cleanup();
        resolve({ packets: progress.packets, rest: progress.rest });
      } catch (err) {
        cleanup();
        reject(err);
      }
    };
    const onEnd = () => {
      cleanup();
      try {
        reader.end();
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(
        new ProtocolError(`the request body could not be read: ${err.message}`),
      );
    };
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    body.resume();
  });
}

export type CopyOutcome = "complete" | "too-large" | "aborted";

/**
 * Copies the rest of the body into `sink` with backpressure, stopping at
 * `limit` bytes. The sink is ended on a complete copy only.
 */
export function copyBounded(
  body: Readable,
  first: Buffer,
  sink: Writable,
  limit: number,
): Promise<CopyOutcome> {
  return new Promise((resolve) => {
    let copied = 0;
    const finish = (outcome: CopyOutcome) => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      sink.off("error", onSinkError);
      body.pause();
      if (outcome === "complete") sink.end();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      copied += chunk.length;
      if (copied > limit) return finish("too-large");
      if (!sink.write(chunk)) {
        body.pause();
        sink.once("drain", () => body.resume());
      }
    };
    const onEnd = () => finish("complete");
    const onError = () => finish("aborted");
    // git exiting early (a bad pack) closes its stdin; its exit code and
    // message tell the story, so the copy just stops.
    const onSinkError = () => finish("aborted");
    sink.on("error", onSinkError);
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onError);
    onData(first);
    if (copied > limit) return;
    // A body that arrived whole while the handler was awaiting something
    // (the credential check, the audit) may have ended already, and its
    // `end` event will not come again.
    if (body.readableEnded) return finish("complete");
    body.resume();
  });
}

/**
 * Reads and discards what is left of a request after it was answered, up
 * to DRAIN_LIMIT_BYTES, then drops the connection.
 */
export function discardRest(req: IncomingMessage, body: Readable): void {
  if (body !== req) {
    req.unpipe();
    body.destroy();
  }
  if (req.readableEnded) return;
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.on("error", () => undefined);
  req.resume();
}
