import { once } from "node:events";
import http from "node:http";

import { openDatabase } from "../../db/open-database.ts";
import type { Command } from "../command.ts";

export const startCommand: Command = {
  name: "start",
  summary: "run the app: webhooks, worker and door in one process",
  usage: "agent-sandbox start",
  async run(_args, { config, log, stopping }) {
    const database = await openDatabase(config, log);
    const server = http.createServer((req, res) => {
      const healthy = req.url === "/healthz";
      res.writeHead(healthy ? 200 : 404, { "content-type": "text/plain" });
      res.end(healthy ? "ok\n" : "not found\n");
    });
    try {
      server.listen(config.server.port, config.server.host);
      await once(server, "listening");
      const address = server.address();
      log.info(
        {
          host: config.server.host,
          port: typeof address === "object" && address ? address.port : null,
        },
        "listening",
      );
      if (!stopping.aborted) await once(stopping, "abort");
      log.info("stopping");
    } finally {
      server.close();
      await database.close();
    }
    return 0;
  },
};
