import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

import type { Logger } from "../log/logger.ts";

export const WEBHOOK_PATH = "/api/github/webhooks";

/** A request handler that answers true when it took the request. */
export type Middleware = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => Promise<boolean>;

export interface RunningServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The app's HTTP server: the webhook endpoint, a health check, and 404 for
 * everything else. Probot's manifest flow registers the App with its
 * webhook URL at the server's root, so a POST to `/` that carries GitHub's
 * event header is treated as a webhook too.
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  webhooks: Middleware;
  log: Logger;
}): Promise<RunningServer> {
  const { webhooks, log } = options;
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (
      req.method === "POST" &&
      req.url === "/" &&
      req.headers["x-github-event"]
    ) {
      req.url = WEBHOOK_PATH;
    }
    webhooks(req, res).then(
      (handled) => {
        if (!handled && !res.headersSent) {
          res
            .writeHead(404, { "content-type": "text/plain" })
            .end("not found\n");
        }
      },
      (err: unknown) => {
        log.error({ err }, "request failed");
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;

  return {
    host: options.host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
