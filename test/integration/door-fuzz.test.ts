import http from "node:http";
import { Readable } from "node:stream";
import { createDeflate } from "node:zlib";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { encodePktLine } from "../../runner/door/pkt-line.ts";
import {
  BRANCH,
  gitOk,
  openDoorFixture,
  runSpec,
  upstreamRef,
  writeAndCommit,
  type DoorFixture,
} from "../support/door-fixture.ts";
import { execFileSync } from "node:child_process";
import { GIT_ENV } from "../support/door-fixture.ts";

const REF = `refs/heads/${BRANCH}`;
const ZERO = "0".repeat(40);
const RECEIVE = "/git/acme/widgets.git/git-receive-pack";

let f: DoorFixture;
let valid: Buffer;

beforeAll(async () => {
  const spec = runSpec();
  f = await openDoorFixture({
    spec: {
      ...spec,
      pushPolicy: { ...spec.pushPolicy, maxPackBytes: 8 * 1024 * 1024 },
    },
  });
  // A well-formed push that the rules refuse (it touches a workflow): no
  // mutation of it may ever reach the upstream.
  await writeAndCommit(
    f.workDir,
    { ".github/workflows/ci.yml": "on: push\n", "a.txt": "a\n" },
    "bad",
  );
  const head = await gitOk(f.workDir, ["rev-parse", "HEAD"]);
  const pack = execFileSync(
    "git",
    ["pack-objects", "--stdout", "--revs", "--thin", "-q"],
    {
      cwd: f.workDir,
      env: GIT_ENV,
      input: "HEAD\n^main\n",
    },
  );
  valid = Buffer.concat([
    encodePktLine(
      `${ZERO} ${head} ${REF}\0report-status side-band-64k agent=git/2\n`,
    ),
    Buffer.from("0000"),
    pack,
  ]);
});

afterAll(async () => {
  await f?.close();
});

function post(body: Readable | Buffer, signal?: AbortSignal) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        socketPath: f.door.socketPath,
        method: "POST",
        path: RECEIVE,
        signal,
        headers: {
          authorization: `Basic ${Buffer.from(`x:${f.token}`).toString("base64")}`,
          "content-type": "application/x-git-receive-pack-request",
          "transfer-encoding": "chunked",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("latin1"),
          }),
        );
        res.on("error", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("latin1"),
          }),
        );
      },
    );
    req.on("error", reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe("the receive-pack handler under hostile bodies", () => {
  it("answers every mutated push without crashing and forwards none", async () => {
    const random = prng(7);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(valid);
      const kind = i % 4;
      let mutated: Buffer = body;
      if (kind === 0)
        mutated = body.subarray(0, Math.floor(random() * body.length));
      if (kind === 1)
        for (let n = 0; n < 3; n++)
          body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      if (kind === 2) {
        // Mutations inside the command section, where the parser works.
        const at = Math.floor(random() * 120);
        body[at] = Math.floor(random() * 256);
      }
      if (kind === 3)
        mutated = Buffer.from(
          Array.from({ length: Math.floor(random() * 2000) }, () =>
            Math.floor(random() * 256),
          ),
        );
      const res = await post(mutated);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([200, 400], `case ${i}`).toContain(res.status);
    }
    expect(f.forwards).toBe(0);
    expect(await upstreamRef(f, REF)).toBeNull();
    expect(f.door.pushes().every((p) => !p.accepted)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(0);
    // The door still serves a well-formed request afterwards.
    const again = await post(valid);
    expect(again.body).toMatch(/protected-paths/);
  });

  it("rejects a 200 MB pack at the size limit without holding it in memory", async () => {
    const total = 200 * 1024 * 1024;
    const header = Buffer.from("PACK\0\0\0\x02\0\0\0\x01", "latin1");
    // One blob object of `total` bytes: type 3, size in the varint header.
    const sizeBytes: number[] = [];
    let size = total;
    sizeBytes.push(0x80 | (3 << 4) | (size & 0x0f));
    size = Math.floor(size / 16);
    while (size > 0) {
      sizeBytes.push((size > 0x7f ? 0x80 : 0) | (size & 0x7f));
      size = Math.floor(size / 128);
    }
    const zeros = Buffer.alloc(64 * 1024);
    let sent = 0;
    const blob = new Readable({
      read() {
        if (sent >= total) return this.push(null);
        sent += zeros.length;
        this.push(zeros);
      },
    });
    const deflated = blob.pipe(createDeflate({ level: 0 }));
    const prefix = Buffer.concat([
      encodePktLine(
        `${ZERO} ${"1".repeat(40)} ${REF}\0report-status side-band-64k\n`,
      ),
      Buffer.from("0000"),
      header,
      Buffer.from(sizeBytes),
    ]);
    const body = Readable.from(
      (async function* () {
        yield prefix;
        for await (const chunk of deflated) yield chunk as Buffer;
      })(),
    );

    const before = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(
        peak,
        now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers,
      );
    }, 20);
    try {
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/pack-size/);
    } finally {
      clearInterval(sampler);
      body.destroy();
    }
    expect(peak).toBeLessThan(64 * 1024 * 1024);
    // Far less than the body was read before the door said no.
    expect(sent).toBeLessThan(total);
    expect(f.forwards).toBe(0);
    expect(f.door.pushes().at(-1)?.reasons.join()).toMatch(/pack-size/);
  });
});
