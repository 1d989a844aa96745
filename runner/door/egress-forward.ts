import { request, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

import { connectFirst, describeConnectError } from "./egress-connect.ts";
import { displayHost } from "./egress-decide.ts";
import { endToEndHeaders } from "./egress-headers.ts";
import type { LiveRecord } from "./egress-journal.ts";
import { BAD_GATEWAY, refusalBody, replyHttp } from "./egress-reply.ts";
import type { EgressTarget } from "./egress-target.ts";

// Plain HTTP proxying of one allowed request: the door opens the connection
// to a checked address itself and hands it to the HTTP client, so the client
// never resolves anything. Bodies stream both ways; bytes are counted.

const HTTP_PORT = 80;

export interface ForwardOptions {
  req: IncomingMessage;
  res: ServerResponse;
  target: EgressTarget;
  addresses: readonly string[];
  record: LiveRecord;
  /** Registers an upstream socket so that closing the door ends it. */
  track(socket: Duplex): void;
}

export async function forwardHttp(options: ForwardOptions): Promise<void> {
  const { req, res, target, addresses, record } = options;
  res.once("close", () => record.finish());

  let socket: Socket;
  try {
    socket = await connectFirst(addresses, target.port);
  } catch (err) {
    const why = describeConnectError(err);
    record.reason = `${record.reason}; upstream unreachable (${why})`;
    const body = refusalBody(
      `could not reach ${displayHost(target.host)}:${target.port}`,
      why,
    );
    replyHttp(res, BAD_GATEWAY, body);
    return;
  }
  options.track(socket);
  if (res.destroyed) {
    socket.destroy();
    return;
  }

  const host = displayHost(target.host);
  // The door's own server already answered any `Expect: 100-continue`.
  const headers = endToEndHeaders(req.headers, ["host", "expect"]);
  headers.host = target.port === HTTP_PORT ? host : `${host}:${target.port}`;

  const upstream = request({
    method: req.method,
    path: target.path,
    headers,
    // Without an agent the client uses exactly this connection.
    createConnection: () => socket,
  });
  upstream.once("response", (answer) => {
    res.writeHead(
      answer.statusCode ?? BAD_GATEWAY,
      endToEndHeaders(answer.headers),
    );
    answer.on("data", (chunk: Buffer) => {
      record.bytesIn += chunk.length;
    });
    answer.once("error", () => res.destroy());
    answer.pipe(res);
  });
  upstream.once("error", (err) => {
    const why = describeConnectError(err);
    record.reason = `${record.reason}; upstream failed (${why})`;
    replyHttp(res, BAD_GATEWAY, refusalBody("upstream failed", why));
  });
  res.once("close", () => {
    upstream.destroy();
    socket.destroy();
  });

  req.on("data", (chunk: Buffer) => {
    record.bytesOut += chunk.length;
  });
  req.pipe(upstream);
}
