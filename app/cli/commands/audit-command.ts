import { verifyChain } from "../../audit/verify-chain.ts";
import { openDatabase } from "../../db/open-database.ts";
import { AppError } from "../../errors/app-error.ts";
import type { Command } from "../command.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const auditCommand: Command = {
  name: "audit",
  summary: "check a run's audit chain: audit verify <runId>",
  usage: "agent-sandbox audit verify <runId>",
  async run(args, { config, log, stdout }) {
    const [verb, runId, ...rest] = args;
    if (verb !== "verify" || runId === undefined || rest.length > 0) {
      throw new AppError("USAGE", `Usage: ${this.usage}`);
    }
    if (!UUID.test(runId)) {
      throw new AppError("USAGE", `${runId} is not a run id (a UUID).`);
    }

    const database = await openDatabase(config, log);
    try {
      const verdict = await verifyChain(database.db, runId);
      if (verdict.intact) {
        stdout.write(
          `intact: ${verdict.events} events, head ${verdict.head}\n`,
        );
        return 0;
      }
      throw new AppError(
        "AUDIT_CHAIN_BROKEN",
        `Run ${runId}: event ${verdict.firstBadSeq} is the first that does not hold: ${verdict.why}.`,
      );
    } finally {
      await database.close();
    }
  },
};
