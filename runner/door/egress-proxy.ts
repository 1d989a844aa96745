import { lookup } from "node:dns/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

import type { Logger } from "pino";

import type { AuditSink, EgressPolicy, EgressRecord } from "../types.ts";
import { decideEgress, displayHost, type Resolve } from "./egress-decide.ts";
import { forwardHttp } from "./egress-forward.ts";
import { quote, type Parsed } from "./egress-host.ts";
import { createEgressJournal } from "./egress-journal.ts";
import {
  BAD_REQUEST,
  FORBIDDEN,
  UNAVAILABLE,
  refusalBody,
  replyHttp,
  replyRaw,
} from "./egress-reply.ts";
import { compilePolicy } from "./egress-rules.ts";
import {
  parseConnectTarget,
  parseProxyTarget,
  type EgressTarget,
} from "./egress-target.ts";
import { openTunnel } from "./egress-tunnel.ts";

// HTTP and HTTPS egress for one run, deny by default. The door routes
// absolute-form requests to `handleRequest` and CONNECT to `handleConnect`;
// everything else about a request (who may go where, and the record of it)
// is decided here.

export type { Resolve } from "./egress-decide.ts";

export interface EgressProxyOptions {
  policy: EgressPolicy;
  log: Logger;
  audit: AuditSink;
  /** How names become addresses; every address the name has. */
  resolve?: Resolve;
}

export interface EgressProxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  handleConnect(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void>;
  records(): EgressRecord[];
  /** Ends every open connection and waits for the audit trail. */
  close(): Promise<void>;
}

async function resolveAll(name: string): Promise<string[]> {
  const answers = await lookup(name, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
}

interface Reply {
  send(status: number, body: string): void;
}

export function createEgressProxy(options: EgressProxyOptions): EgressProxy {
  const rules = compilePolicy(options.policy);
  const resolve = options.resolve ?? resolveAll;
  const log = options.log.child({ component: "egress" });
  const journal = createEgressJournal(log, options.audit);
  const open = new Set<Duplex>();
  let closed = false;

  const track = (stream: Duplex) => {
    if (closed) {
      stream.destroy();
      return;
    }
    open.add(stream);
    stream.once("close", () => open.delete(stream));
  };

  // The steps common to both entry points: parse, decide, record; returns
  // where to connect, or undefined once the refusal has been sent.
  async function admit(
    method: string,
    raw: string,
    parsed: Parsed<EgressTarget>,
    reply: Reply,
  ) {
    if (closed) {
      reply.send(UNAVAILABLE, refusalBody("refused", "the run is ending"));
      return undefined;
    }
    if (!parsed.ok) {
      const entry = { host: quote(raw), port: 0, method, allowed: false };
      journal.start({ ...entry, reason: parsed.error }).finish();
      reply.send(BAD_REQUEST, refusalBody("refused", parsed.error));
      return undefined;
    }

    const target = parsed.value;
    const host = displayHost(target.host);
    const decision = await decideEgress(
      target.host,
      target.port,
      rules,
      resolve,
    );
    const record = journal.start({
      host,
      port: target.port,
      method,
      allowed: decision.allowed,
      reason: decision.reason,
    });
    if (!decision.allowed) {
      record.finish();
      const what = `refused egress to ${host}:${target.port}`;
      reply.send(
        FORBIDDEN,
        refusalBody(what, decision.reason, decision.remedy),
      );
      return undefined;
    }
    log.debug({ host, port: target.port, method }, "egress allowed");
    return { target, record, addresses: decision.addresses };
  }

  return {
    async handleRequest(req, res) {
      const raw = req.url ?? "";
      const method = req.method ?? "GET";
      const reply = { send: (s: number, b: string) => replyHttp(res, s, b) };
      try {
        const parsed = parseProxyTarget(raw);
        const admitted = await admit(method, raw, parsed, reply);
        if (admitted) await forwardHttp({ req, res, ...admitted, track });
      } catch (err) {
        log.error({ err }, "egress request failed");
        res.destroy();
      }
    },

    async handleConnect(req, socket, head) {
      if (!closed) track(socket);
      socket.on("error", (err) => log.debug({ err }, "tunnel client error"));
      const raw = req.url ?? "";
      const reply = { send: (s: number, b: string) => replyRaw(socket, s, b) };
      try {
        const parsed = parseConnectTarget(raw);
        const admitted = await admit("CONNECT", raw, parsed, reply);
        if (admitted)
          await openTunnel({ client: socket, head, ...admitted, track });
      } catch (err) {
        log.error({ err }, "egress tunnel failed");
        socket.destroy();
      }
    },

    records: () => journal.records(),

    async close() {
      closed = true;
      for (const stream of open) stream.destroy();
      await journal.flush();
    },
  };
}
