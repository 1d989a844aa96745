import { chmod, mkdir, rm } from "node:fs/promises";
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import path from "node:path";

import type { Logger } from "pino";

import type {
  AuditSink,
  EgressRecord,
  ModelUsage,
  PushRecord,
  RunSpec,
  Upstream,
} from "../types.ts";
import { createEgressProxy, type Resolve } from "./egress-proxy.ts";
import { createGitGateway } from "./git-gateway.ts";
import { createQuarantineArea } from "./git-quarantine.ts";
import { createModelBroker, type ModelBrokerOptions } from "./model-broker.ts";
import type { CredentialCheck } from "./run-credential.ts";

// The run's only way out of its sandbox: one HTTP server on a Unix socket
// that is mounted into the container. CONNECT and absolute-form requests are
// egress, /git/ is the push gateway, /model/ is the model broker; anything
// else is refused.

export const SOCKET_NAME = "door.sock";
// sun_path holds 108 bytes on Linux, the terminating NUL included.
const MAX_SOCKET_PATH = 107;
// The container's user is not the host's; it must be able to connect.
const SOCKET_MODE = 0o666;
const SOCKET_DIR_MODE = 0o755;
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

export interface DoorOptions {
  spec: RunSpec;
  upstream: Upstream;
  /** Checks the run credential; the door never sees where it is stored. */
  credentials: CredentialCheck;
  audit: AuditSink;
  log: Logger;
  /** The repository cache's bare mirror of `spec.repository`. */
  mirrorDir: string;
  /** A fresh host-owned directory for the socket and the quarantine. */
  dir: string;
  /** Model providers and the token budget; no providers when absent. */
  models?: Omit<ModelBrokerOptions, "log" | "audit">;
  /** How the egress proxy resolves host names; the system's when absent. */
  resolve?: Resolve;
}

export interface Door {
  socketPath: string;
  pushes(): PushRecord[];
  egress(): EgressRecord[];
  usage(): ModelUsage[];
  close(): Promise<void>;
}

export async function openDoor(options: DoorOptions): Promise<Door> {
  const { spec, audit } = options;
  const log = options.log.child({ runId: spec.runId, component: "door" });
  const socketDir = path.join(options.dir, "socket");
  const socketPath = path.join(socketDir, SOCKET_NAME);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new Error(
      `door socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter data directory`,
    );
  }
  await mkdir(socketDir, { recursive: true, mode: SOCKET_DIR_MODE });
  await chmod(socketDir, SOCKET_DIR_MODE);
  const quarantine = await createQuarantineArea(
    path.join(options.dir, "quarantine"),
    options.mirrorDir,
  );

  const pushes: PushRecord[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const git = createGitGateway({
    spec,
    upstream: options.upstream,
    credentials: options.credentials,
    mirrorDir: options.mirrorDir,
    quarantine,
    audit,
    log,
    record: (push) => pushes.push(push),
    serialize: (work) => {
      const next = queue.then(work, work);
      queue = next.catch(() => undefined);
      return next;
    },
  });
  const egress = createEgressProxy({
    policy: spec.egress,
    log,
    audit,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const models = createModelBroker({
    ...(options.models ?? { providers: {}, onBudgetExceeded: () => undefined }),
    log,
    audit,
  });

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (ABSOLUTE_FORM.test(url)) return egress.handleRequest(req, res);
    if (url.startsWith("/git/")) return git(req, res);
    if (url.startsWith("/model/")) return models.handleRequest(req, res);
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("the door serves /git/, /model/ and proxy requests only\n");
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error({ err, method: req.method }, "door request failed");
      if (!res.headersSent)
        res.writeHead(500, { "content-type": "text/plain" });
      res.end();
    });
  });
  server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    egress.handleConnect(req, socket, head).catch((err: unknown) => {
      log.error({ err }, "door tunnel failed");
      socket.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());

  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, SOCKET_MODE);
  log.info({ socketPath }, "door open");

  let closing: Promise<void> | null = null;
  return {
    socketPath,
    pushes: () => pushes.map((p) => ({ ...p })),
    egress: () => egress.records(),
    usage: () => models.usage(),
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) =>
          server.close(() => resolve()),
        );
        for (const socket of sockets) socket.destroy();
        await Promise.all([stopped, egress.close(), models.close()]);
        await queue;
        await rm(socketDir, { recursive: true, force: true });
        await quarantine.remove();
        log.info({ pushes: pushes.length }, "door closed");
      })();
      return closing;
    },
  };
}
