import { openDatabase } from "../../db/open-database.ts";
import type { Command } from "../command.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply database migrations and exit",
  usage: "agent-sandbox migrate",
  async run(_args, { config, log }) {
    const database = await openDatabase(config, log);
    await database.close();
    return 0;
  },
};
