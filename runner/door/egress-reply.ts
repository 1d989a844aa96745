import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

// The short plain-text answers the door gives the sandbox when it will not
// (or cannot) carry a request. The agent reads these, so each one says what
// happened and which setting would change it.

export const FORBIDDEN = 403;
export const BAD_REQUEST = 400;
export const BAD_GATEWAY = 502;
export const UNAVAILABLE = 503;

export function refusalBody(what: string, reason: string, remedy?: string) {
  const lines = [`agent-sandbox door: ${what}: ${reason}.`];
  if (remedy) lines.push(remedy);
  return `${lines.join("\n")}\n`;
}

export function replyHttp(
  res: ServerResponse,
  status: number,
  body: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** An HTTP answer written straight onto a CONNECT client's socket. */
export function replyRaw(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  socket.end(head + body);
}
