import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

import pino from "pino";

import { createEgressProxy } from "../runner/door/egress-proxy.ts";
import type { BenchResult } from "./index.ts";
import { median } from "./sample-stats.ts";

// A 100 MB download through the egress proxy against the same download
// straight from the same loopback server. The proxy runs in this process
// behind a Unix socket, as the door does; the server and the downloading
// client run together in a child process (the internet and the sandbox,
// both outside the door), so the client's work is the same in every mode
// and only the path between them changes. Plain proxying and a CONNECT
// tunnel are both measured; the ratio reported is the slower one.

const ROUNDS = 5;

// The child: serves 100 MiB from one buffer, then downloads it on command
// (`direct`, `proxy <socket>`, `tunnel <socket>`), answering `rate <MiB/s>`.
const PEER = String.raw`
import { once } from "node:events";
import { createServer, request } from "node:http";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const MiB = 1024 * 1024;
const TOTAL = 100 * MiB;
const block = Buffer.alloc(MiB, 0x61);

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-length": TOTAL });
  let sent = 0;
  const pump = () => {
    while (sent < TOTAL) {
      sent += block.length;
      if (!res.write(block)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = server.address().port;
const target = "127.0.0.1:" + port;
process.stdout.write("port " + port + "\n");

async function tunnel(socketPath) {
  const socket = connect(socketPath);
  socket.write("CONNECT " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const [answer] = await once(socket, "data");
  if (!answer.toString().startsWith("HTTP/1.1 200")) {
    throw new Error("CONNECT refused: " + answer.toString());
  }
  return socket;
}

async function download(mode, socketPath) {
  const started = performance.now();
  const options =
    mode === "direct"
      ? { host: "127.0.0.1", port, path: "/blob" }
      : mode === "proxy"
        ? { socketPath, path: "http://" + target + "/blob" }
        : { path: "/blob", headers: { host: target } };
  if (mode === "tunnel") {
    const socket = await tunnel(socketPath);
    options.createConnection = () => socket;
  }
  const req = request(options);
  req.end();
  const [res] = await once(req, "response");
  let bytes = 0;
  res.on("data", (chunk) => (bytes += chunk.length));
  await once(res, "end");
  req.destroy();
  if (bytes !== TOTAL) throw new Error("short download: " + bytes);
  return bytes / MiB / ((performance.now() - started) / 1000);
}

for await (const line of createInterface({ input: process.stdin })) {
  const [mode, socketPath] = line.split(" ");
  const rate = await download(mode, socketPath).catch((err) => {
    process.stdout.write("error " + err.message.replace(/\s+/g, " ") + "\n");
    return undefined;
  });
  if (rate !== undefined) process.stdout.write("rate " + rate + "\n");
}
server.close();
`;

export async function egressBench(): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "egress-bench-"));
  const socketPath = path.join(dir, "door.sock");
  const peer = spawn(process.execPath, ["--input-type=module", "-e", PEER], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string[]> => {
    const line = await lines.next();
    if (line.done) throw new Error("the benchmark peer stopped early");
    return String(line.value).split(" ");
  };

  try {
    const port = Number((await next())[1]);
    const proxy = createEgressProxy({
      policy: { allow: [{ host: "127.0.0.1", port }] },
      log: pino({ level: "silent" }),
      audit: { record: async () => undefined },
    });
    // Routed the way the door routes: CONNECT and absolute-form targets.
    const door = createServer((req, res) => {
      void proxy.handleRequest(req, res);
    });
    door.on("connect", (req, socket, head) => {
      void proxy.handleConnect(req, socket, head);
    });
    await new Promise<void>((resolve) => door.listen(socketPath, resolve));

    const rate = async (mode: string) => {
      peer.stdin.write(`${mode} ${socketPath}\n`);
      const [kind, value] = await next();
      if (kind !== "rate") throw new Error(`benchmark peer: ${kind} ${value}`);
      return Number(value);
    };
    const rates = {
      direct: [] as number[],
      proxy: [] as number[],
      tunnel: [] as number[],
    };
    await rate("direct"); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["direct", "proxy", "tunnel"] as const) {
        rates[mode].push(await rate(mode));
      }
    }
    await proxy.close();
    door.closeAllConnections();
    await new Promise((resolve) => door.close(resolve));

    const direct = median(rates.direct);
    const proxied = median(rates.proxy);
    const tunnel = median(rates.tunnel);
    return {
      name: "egress",
      ratio: Math.min(proxied, tunnel) / direct,
      details: {
        downloadMiB: 100,
        rounds: ROUNDS,
        directMiBps: Math.round(direct),
        proxiedMiBps: Math.round(proxied),
        tunnelMiBps: Math.round(tunnel),
        proxiedRatio: Number((proxied / direct).toFixed(3)),
        tunnelRatio: Number((tunnel / direct).toFixed(3)),
      },
    };
  } finally {
    peer.stdin.end();
    peer.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
