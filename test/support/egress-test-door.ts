import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

import pino, { type Logger } from "pino";

import type { AuditSink } from "../../runner/types.ts";

// Small pieces the egress and broker tests share: a loopback HTTP server
// that routes like the door (CONNECT and absolute-form targets to the
// egress proxy, everything else to a handler), an in-memory audit sink and
// a logger whose lines are kept for assertions.

export interface AuditEvent {
  kind: string;
  data: Record<string, unknown>;
}

export function memoryAudit(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    async record(kind, data) {
      events.push({ kind, data: structuredClone(data) });
    },
  };
}

export function capturedLog(): { log: Logger; text(): string } {
  const lines: string[] = [];
  const log = pino(
    { level: "trace" },
    { write: (line: string) => void lines.push(line) },
  );
  return { log, text: () => lines.join("") };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface DoorRoutes {
  handleRequest?: Handler;
  handleConnect?: (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) => unknown;
  handleOrigin?: Handler;
}

/** Listens on loopback port 0 and routes the way the door does. */
export async function startTestDoor(
  routes: DoorRoutes,
): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? "");
    if (absolute && routes.handleRequest) void routes.handleRequest(req, res);
    else if (!absolute && routes.handleOrigin)
      void routes.handleOrigin(req, res);
    else res.writeHead(404).end();
  });
  server.on("connect", (req, socket, head) => {
    if (routes.handleConnect) void routes.handleConnect(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
