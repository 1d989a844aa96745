import net from "node:net";

import { run, type Server } from "probot";

import type { Config } from "../config/load-config.ts";
import type { Logger } from "../log/logger.ts";

export interface SetupServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Without App credentials the server offers Probot's manifest flow: its
 * page posts `app.yml` (from the working directory) to GitHub, or to the
 * GHE_HOST instance, and the credentials GitHub returns are written to
 * `.env`. Restarting then starts the App proper.
 */
export async function startSetupMode(
  config: Config,
  log: Logger,
): Promise<SetupServer> {
  // Probot would otherwise route webhooks through smee.io, a public relay;
  // a sandbox-first app does not send its events through a third party
  // unless the operator sets WEBHOOK_PROXY_URL on purpose.
  process.env.NO_SMEE_SETUP ??= "true";

  // Probot reads a port of 0 as "unset" and falls back to 3000; a free port
  // is chosen here instead so that "any port" keeps its meaning.
  const port =
    config.server.port === 0
      ? await freePort(config.server.host)
      : config.server.port;
  const server: Server = await run(() => undefined, {
    env: {
      PORT: String(port),
      HOST: config.server.host,
      LOG_LEVEL: config.log.level,
      LOG_FORMAT: "json",
      ...(config.github.gheHost && {
        GHE_HOST: config.github.gheHost,
        GHE_PROTOCOL: config.github.gheProtocol,
      }),
    },
    log: log.child({ component: "setup" }),
  });
  return {
    host: config.server.host,
    port: server.port,
    stop: () => server.stop(),
  };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
