import { randomBytes } from "node:crypto";

import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";

import { migrate } from "../../app/db/migrate.ts";
import { createLogger } from "../../app/log/logger.ts";
import { withDatabase } from "../support/global-postgres.ts";

const log = createLogger({ level: "silent", format: "json" });

async function emptyDatabase(): Promise<string> {
  const adminUrl = inject("postgresAdminUrl");
  const name = `migrate_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  afterAll(async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  });
  return withDatabase(adminUrl, name);
}

describe("migrate", () => {
  it("applies every migration once, and a second run is a no-op", async () => {
    const url = await emptyDatabase();

    const first = await migrate(url, log);
    const second = await migrate(url, log);

    expect(first[0]).toBe("0001_foundation");
    expect(second).toEqual([]);
  });

  it("is safe when several processes start at once", async () => {
    const url = await emptyDatabase();

    const results = await Promise.all([
      migrate(url, log),
      migrate(url, log),
      migrate(url, log),
    ]);

    const applied = results.flat();
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied).toContain("0001_foundation");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query("SELECT name FROM schema_migrations");
    await client.end();
    expect(rows.rowCount).toBe(applied.length);
  });
});
