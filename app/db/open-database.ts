import type { Config } from "../config/load-config.ts";
import type { Logger } from "../log/logger.ts";
import { checkConnection, connectDatabase, type Database } from "./database.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { migrate } from "./migrate.ts";

export interface OpenDatabase {
  db: Database;
  url: string;
  close(): Promise<void>;
}

/**
 * The configured Postgres, or an embedded one under the data directory when
 * DATABASE_URL is unset; migrated before it is handed out.
 */
export async function openDatabase(
  config: Config,
  log: Logger,
): Promise<OpenDatabase> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(config.dataDir, log);
  const url = config.databaseUrl?.reveal() ?? embedded!.url;
  const db = connectDatabase(url);
  try {
    await checkConnection(db);
    await migrate(url, log);
  } catch (err) {
    await db.close().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }

  return {
    db,
    url,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}
