import { randomBytes } from "node:crypto";

import pg from "pg";
import { afterAll, inject } from "vitest";

import { connectDatabase, type Database } from "../../app/db/database.ts";
import { withDatabase } from "./global-postgres.ts";

export interface TestDatabase {
  db: Database;
  url: string;
}

/**
 * A fresh, migrated database for the calling test file, cloned from the
 * template and dropped after the file's tests, with a check that no pool
 * client is left checked out.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("postgresAdminUrl");
  const template = inject("postgresTemplate");
  const name = `test_${randomBytes(6).toString("hex")}`;

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();

  const url = withDatabase(adminUrl, name);
  const db = connectDatabase(url);
  afterAll(async () => {
    await db.close();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  });
  return { db, url };
}
