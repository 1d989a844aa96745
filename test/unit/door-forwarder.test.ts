import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { startDoorForwarder } from "../../runner/entrypoint/door-forwarder.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function unixServer(handler: http.RequestListener): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "door-forwarder-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, "door.sock");
  const server = http.createServer(handler);
  cleanups.push(() => new Promise((done) => server.close(() => done())));
  await new Promise<void>((done) => server.listen(socketPath, done));
  return socketPath;
}

describe("startDoorForwarder", () => {
  it("carries HTTP requests from loopback TCP to the door socket", async () => {
    const socketPath = await unixServer((req, res) => {
      res.end(`door saw ${req.method} ${req.url} ${req.headers.host}`);
    });
    const forwarder = await startDoorForwarder(0, socketPath);
    cleanups.push(() => forwarder.close());

    const response = await fetch(
      `http://127.0.0.1:${forwarder.port}/git/octo/widgets.git/info/refs`,
    );
    expect(await response.text()).toBe(
      `door saw GET /git/octo/widgets.git/info/refs 127.0.0.1:${forwarder.port}`,
    );
  });

  it("closes the client when the door is not there", async () => {
    const forwarder = await startDoorForwarder(0, "/nonexistent/door.sock");
    cleanups.push(() => forwarder.close());

    const client = net.connect(forwarder.port, "127.0.0.1");
    const closed = await new Promise<boolean>((resolve) => {
      client.on("error", () => undefined);
      client.on("close", () => resolve(true));
    });
    expect(closed).toBe(true);
  });

  it("listens on loopback only", async () => {
    const socketPath = await unixServer((_req, res) => res.end("ok"));
    const forwarder = await startDoorForwarder(0, socketPath);
    cleanups.push(() => forwarder.close());
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    if (!external) return;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(forwarder.port, external.address);
      socket.on("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.on("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
