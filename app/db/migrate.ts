import path from "node:path";
import { fileURLToPath } from "node:url";

import { runner } from "node-pg-migrate";
import pg from "pg";

import { AppError } from "../errors/app-error.ts";
import type { Logger } from "../log/logger.ts";

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../migrations",
);

// node-pg-migrate's own lock is a try-lock that fails when another process
// holds it; we wait instead, on a session lock of our own.
const MIGRATION_LOCK = 7_240_417_001;

/**
 * Brings the schema up to date. A Postgres advisory lock held for the whole
 * run makes two processes starting at once apply each migration exactly
 * once: the second waits, then finds nothing to do.
 */
export async function migrate(url: string, log: Logger): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const applied = await runner({
      dbClient: client,
      noLock: true,
      dir: MIGRATIONS_DIR,
      direction: "up",
      migrationsTable: "schema_migrations",
      checkOrder: true,
      singleTransaction: true,
      log: (message: string) => log.debug({ migration: message }, "migrate"),
    });
    const names = applied.map((migration) => migration.name);
    log.info({ applied: names }, "migrations applied");
    return names;
  } catch (err) {
    throw new AppError(
      "MIGRATION_FAILED",
      `Could not apply the migrations in ${MIGRATIONS_DIR}.`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
