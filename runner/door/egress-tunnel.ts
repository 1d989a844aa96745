import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

import { connectFirst, describeConnectError } from "./egress-connect.ts";
import { displayHost } from "./egress-decide.ts";
import type { LiveRecord } from "./egress-journal.ts";
import { BAD_GATEWAY, refusalBody, replyRaw } from "./egress-reply.ts";
import type { EgressTarget } from "./egress-target.ts";

// A CONNECT tunnel for one allowed target: after the door connects to a
// checked address it answers 200 and copies bytes both ways untouched (TLS
// stays end to end between the sandbox and the upstream).

const ESTABLISHED = "HTTP/1.1 200 Connection Established\r\n\r\n";

export interface TunnelOptions {
  client: Duplex;
  head: Buffer;
  target: EgressTarget;
  addresses: readonly string[];
  record: LiveRecord;
  track(socket: Duplex): void;
}

export async function openTunnel(options: TunnelOptions): Promise<void> {
  const { client, head, target, addresses, record } = options;
  let upstream: Socket | undefined;
  // A closed client leaves nothing to deliver to, so the upstream goes too.
  // An upstream that closes is different: the client may still be reading
  // buffered data, which `pipe` finishes with an orderly end.
  const abort = () => {
    client.destroy();
    upstream?.destroy();
  };
  client.once("close", () => {
    upstream?.destroy();
    record.finish();
  });
  client.on("error", abort);

  try {
    upstream = await connectFirst(addresses, target.port);
  } catch (err) {
    const why = describeConnectError(err);
    record.reason = `${record.reason}; upstream unreachable (${why})`;
    const where = `${displayHost(target.host)}:${target.port}`;
    replyRaw(client, BAD_GATEWAY, refusalBody(`could not reach ${where}`, why));
    return;
  }
  options.track(upstream);
  if (client.destroyed) {
    upstream.destroy();
    return;
  }

  upstream.on("error", abort);
  upstream.on("data", (chunk: Buffer) => {
    record.bytesIn += chunk.length;
  });
  client.on("data", (chunk: Buffer) => {
    record.bytesOut += chunk.length;
  });

  client.write(ESTABLISHED);
  if (head.length > 0) {
    record.bytesOut += head.length;
    upstream.write(head);
  }
  client.pipe(upstream);
  upstream.pipe(client);
}
