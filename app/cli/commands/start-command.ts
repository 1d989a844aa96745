import { once } from "node:events";

import { runSandbox } from "../../../runner/run-sandbox.ts";
import { openDatabase } from "../../db/open-database.ts";
import { createSandboxHost, sweepLeftovers } from "../../runs/sandbox-host.ts";
import { readCredentials, startApp } from "../../server/start-app.ts";
import { startSetupMode } from "../../server/setup-mode.ts";
import type { Command } from "../command.ts";

export const startCommand: Command = {
  name: "start",
  summary: "run the app: webhooks, worker and door in one process",
  usage: "agent-sandbox start",
  async run(_args, { config, log, stopping }) {
    const credentials = await readCredentials(config);
    const database = await openDatabase(config, log);
    try {
      if (!credentials) {
        const setup = await startSetupMode(config, log);
        log.info(
          { host: config.server.host, port: setup.port, mode: "setup" },
          "listening",
        );
        if (!stopping.aborted) await once(stopping, "abort");
        log.info("stopping");
        await setup.stop();
        return 0;
      }

      const app = await startApp({
        config,
        db: database.db,
        credentials,
        log,
      });
      log.info({ host: config.server.host, port: app.port }, "listening");

      // The runner image may need building on first use; webhooks are
      // accepted meanwhile and their runs wait in the queue.
      const ready = createSandboxHost(config, database.db, log).then(
        async (host) => {
          await sweepLeftovers(host, database.db, log);
          if (stopping.aborted) return;
          app.attachSandbox({
            run: (spec, context) => runSandbox(spec, host, context),
            sweep: () => sweepLeftovers(host, database.db, log),
          });
          log.info({ image: host.image.id }, "worker started");
        },
        (err: unknown) => log.error({ err }, "sandbox host unavailable"),
      );

      if (!stopping.aborted) await once(stopping, "abort");
      log.info("stopping");
      await app.stop();
      await ready;
      return 0;
    } finally {
      await database.close();
    }
  },
};
