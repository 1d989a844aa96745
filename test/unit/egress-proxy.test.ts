import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";

import { afterEach, describe, expect, it } from "vitest";

import {
  createEgressProxy,
  type Resolve,
} from "../../runner/door/egress-proxy.ts";
import type { EgressRule } from "../../runner/types.ts";
import {
  capturedLog,
  memoryAudit,
  startTestDoor,
} from "../support/egress-test-door.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function listen(server: Server | ReturnType<typeof createHttpServer>) {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** An upstream that echoes what it received as JSON. */
async function startEchoHttp() {
  const seen: Array<{ url: string; headers: Record<string, unknown> }> = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: { ...req.headers } });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`got ${req.method} ${req.url} ${Buffer.concat(chunks).length}`);
    });
  });
  return { port: await listen(server), seen };
}

async function startTcpEcho() {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.pipe(socket);
  });
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
  });
  return listen(server);
}

async function startProxy(allow: EgressRule[], resolve?: Resolve) {
  const audit = memoryAudit();
  const { log, text } = capturedLog();
  const proxy = createEgressProxy({ policy: { allow }, log, audit, resolve });
  cleanups.push(() => proxy.close());
  const door = await startTestDoor({
    handleRequest: (req, res) => proxy.handleRequest(req, res),
    handleConnect: (req, socket, head) =>
      proxy.handleConnect(req, socket, head),
  });
  cleanups.push(() => door.close());
  return { proxy, audit, logText: text, port: door.port };
}

/** Sends raw bytes to the door and returns everything it answers. */
async function exchange(port: number, text: string): Promise<string> {
  const socket = connect({ host: "127.0.0.1", port });
  cleanups.push(() => void socket.destroy());
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.write(text);
  await once(socket, "close");
  return Buffer.concat(chunks).toString("utf8");
}

function get(port: number, target: string, host = "ignored.example") {
  return exchange(
    port,
    `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
}

function fixedResolver(answers: string[][]): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (name: string) => {
    calls.push(name);
    return answers[Math.min(calls.length - 1, answers.length - 1)]!;
  };
  return Object.assign(resolve, { calls });
}

describe("plain HTTP egress", () => {
  it("forwards to an address that policy names, and records the bytes", async () => {
    const upstream = await startEchoHttp();
    const { proxy, audit, port } = await startProxy([
      { host: "127.0.0.1", port: upstream.port },
    ]);
    const body = "x".repeat(1000);
    const answer = await exchange(
      port,
      `POST http://127.0.0.1:${upstream.port}/path?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nProxy-Authorization: Basic c2VjcmV0\r\nConnection: close, x-private\r\nX-Private: 1\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answer).toContain("got POST /path?q=1 1000");

    expect(upstream.seen[0]!.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(upstream.seen[0]!.headers).not.toHaveProperty("proxy-authorization");
    expect(upstream.seen[0]!.headers).not.toHaveProperty("x-private");

    await proxy.close();
    const [record] = proxy.records();
    expect(record).toMatchObject({
      host: "127.0.0.1",
      port: upstream.port,
      method: "POST",
      allowed: true,
      bytesOut: 1000,
    });
    expect(record!.bytesIn).toBe("got POST /path?q=1 1000".length);
    expect(audit.events).toEqual([{ kind: "egress", data: record }]);
  });

  it("refuses by default and says which setting would allow it", async () => {
    const upstream = await startEchoHttp();
    const { proxy, audit, port } = await startProxy([]);
    const answer = await get(port, `http://127.0.0.1:${upstream.port}/`);
    expect(answer).toMatch(/^HTTP\/1.1 403/);
    expect(answer).toContain("loopback address");
    expect(answer).toContain("network.allow in .github/agent-sandbox.yml");
    expect(answer).toContain(`--allow-host 127.0.0.1:${upstream.port}`);
    expect(upstream.seen).toHaveLength(0);

    await proxy.close();
    expect(proxy.records()).toEqual([
      expect.objectContaining({ allowed: false, bytesIn: 0, bytesOut: 0 }),
    ]);
    expect(audit.events[0]!.data).toMatchObject({ allowed: false });
  });

  it("refuses a port that the host's rule does not name", async () => {
    const resolve = fixedResolver([["93.184.216.34"]]);
    const { port } = await startProxy([{ host: "example.com" }], resolve);
    const answer = await get(port, "http://example.com:8080/");
    expect(answer).toMatch(/^HTTP\/1.1 403/);
    expect(answer).toContain("port 8080 is not allowed for example.com");
    expect(answer).toContain("--allow-host example.com:8080");
    expect(resolve.calls).toHaveLength(0);
  });

  it("answers 502 when an allowed upstream is down", async () => {
    const closed = await listen(createTcpServer());
    await cleanups.pop()!();
    const { proxy, port } = await startProxy([
      { host: "127.0.0.1", port: closed },
    ]);
    const answer = await get(port, `http://127.0.0.1:${closed}/`);
    expect(answer).toMatch(/^HTTP\/1.1 502/);
    expect(answer).toContain("ECONNREFUSED");
    await proxy.close();
    expect(proxy.records()[0]!.reason).toContain("ECONNREFUSED");
  });
});

describe("names and internal addresses", () => {
  it("refuses an allowed name that resolves to loopback", async () => {
    const upstream = await startEchoHttp();
    const resolve = fixedResolver([["127.0.0.1"]]);
    const { port } = await startProxy(
      [{ host: "inside.example", port: upstream.port }],
      resolve,
    );
    const answer = await get(port, `http://inside.example:${upstream.port}/`);
    expect(answer).toMatch(/^HTTP\/1.1 403/);
    expect(answer).toContain("resolves to 127.0.0.1, a loopback address");
    expect(upstream.seen).toHaveLength(0);
  });

  it("refuses a name when any of its addresses is internal", async () => {
    const resolve = fixedResolver([
      ["93.184.216.34", "::ffff:169.254.169.254"],
    ]);
    const { port } = await startProxy([{ host: "mixed.example" }], resolve);
    const answer = await get(port, "http://mixed.example/");
    expect(answer).toContain("169.254.169.254, a cloud metadata address");
  });

  it("lets a name reach an internal address that policy also names, and connects to the address it checked", async () => {
    const upstream = await startEchoHttp();
    // A second lookup would point elsewhere; the door must not make one.
    const resolve = fixedResolver([["127.0.0.1"], ["10.9.9.9"]]);
    const { port } = await startProxy(
      [
        { host: "inside.example", port: upstream.port },
        { host: "127.0.0.0/8", port: upstream.port },
      ],
      resolve,
    );
    const answer = await get(port, `http://inside.example:${upstream.port}/a`);
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(resolve.calls).toEqual(["inside.example"]);
    expect(upstream.seen[0]!.headers.host).toBe(
      `inside.example:${upstream.port}`,
    );
  });

  it.each([
    ["http://169.254.169.254/latest/meta-data/", "cloud metadata"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[fd00:ec2::254]/", "cloud metadata"],
    ["http://10.0.0.1/", "private"],
    ["http://0.0.0.0/", "unspecified"],
  ])("refuses the internal literal %s", async (target, label) => {
    const { port } = await startProxy([{ host: "example.com" }]);
    const answer = await get(port, target);
    expect(answer).toMatch(/^HTTP\/1.1 403/);
    expect(answer).toContain(label);
  });

  it("treats an explicit IPv4 rule as covering its mapped IPv6 form", async () => {
    const upstream = await startEchoHttp();
    const { port } = await startProxy([
      { host: "127.0.0.1", port: upstream.port },
    ]);
    const answer = await get(
      port,
      `http://[::ffff:127.0.0.1]:${upstream.port}/`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 200/);
  });
});

describe("hostile targets", () => {
  it.each([
    ["http://2130706433/", "four decimal numbers"],
    ["http://0x7f.1/", "four decimal numbers"],
    ["http://017700000001/", "four decimal numbers"],
    ["http://127.1/", "four decimal numbers"],
    ["http://user:pw@127.0.0.1/", "credentials in the URL"],
    ["http://evil.example@127.0.0.1/", "credentials in the URL"],
    ["http://127.0.0.1:0/", "port"],
    ["http://127.0.0.1:99999/", "port"],
    ["http://127.0.0.1:80:80/", "not a valid host"],
    ["http://exa%6dple.com/", "not allowed in a host"],
    ["https://example.com/", "use CONNECT"],
    ["ftp://example.com/", "only http://"],
    [`http://${"a".repeat(300)}.com/`, "at most 253"],
    [`http://example.com/${"p".repeat(9000)}`, "at most 8192"],
  ])("refuses %s with a reason", async (target, reason) => {
    const upstream = await startEchoHttp();
    const { proxy, port } = await startProxy([
      { host: "127.0.0.0/8" },
      { host: "example.com" },
    ]);
    const answer = await get(port, target);
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(answer).toMatch(new RegExp(reason));
    expect(upstream.seen).toHaveLength(0);
    await proxy.close();
    expect(proxy.records()[0]!.allowed).toBe(false);
    expect(proxy.records()[0]!.host.length).toBeLessThan(100);
  });
});

describe("CONNECT tunnels", () => {
  it("carries bytes both ways to an allowed target and counts them", async () => {
    const echo = await startTcpEcho();
    const { proxy, audit, port } = await startProxy([
      { host: "127.0.0.1", port: echo },
    ]);
    const socket = connect({ host: "127.0.0.1", port });
    cleanups.push(() => void socket.destroy());
    socket.write(`CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [first] = (await once(socket, "data")) as [Buffer];
    expect(first.toString()).toMatch(/^HTTP\/1.1 200/);

    socket.write("hello through the door");
    const [echoed] = (await once(socket, "data")) as [Buffer];
    expect(echoed.toString()).toBe("hello through the door");
    socket.end();
    await once(socket, "close");

    await proxy.close();
    const [record] = proxy.records();
    expect(record).toMatchObject({
      method: "CONNECT",
      allowed: true,
      bytesOut: 22,
      bytesIn: 22,
    });
    expect(audit.events.map((event) => event.kind)).toEqual(["egress"]);
  });

  it("refuses a target outside policy with a 403 on the socket", async () => {
    const echo = await startTcpEcho();
    const { proxy, port } = await startProxy([]);
    const answer = await exchange(
      port,
      `CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 403 Forbidden/);
    expect(answer).toContain("--allow-host");
    await proxy.close();
    expect(proxy.records()[0]).toMatchObject({
      method: "CONNECT",
      allowed: false,
    });
  });

  it.each([
    ["example.com", "has no port"],
    ["example.com:0", "port"],
    ["example.com:65536", "out of range"],
    ["user@example.com:443", "credentials"],
    ["2130706433:443", "four decimal numbers"],
    ["[::1%eth0]:443", "not allowed in a host|IPv6"],
  ])("refuses the CONNECT target %s", async (target, reason) => {
    const { port } = await startProxy([{ host: "example.com" }]);
    const answer = await exchange(
      port,
      `CONNECT ${target} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(answer).toMatch(new RegExp(reason));
  });

  it("ends open tunnels when the proxy closes", async () => {
    const echo = await startTcpEcho();
    const { proxy, audit, port } = await startProxy([
      { host: "127.0.0.1", port: echo },
    ]);
    const socket = connect({ host: "127.0.0.1", port });
    cleanups.push(() => void socket.destroy());
    socket.on("error", () => undefined);
    socket.write(`CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await once(socket, "data");

    const closed = once(socket, "close");
    await proxy.close();
    await closed;
    expect(audit.events).toHaveLength(1);

    const late = await exchange(
      port,
      `CONNECT 127.0.0.1:${echo} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(late).toMatch(/^HTTP\/1.1 503/);
  });
});
