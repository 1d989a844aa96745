import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import pg from "pg";
import type { TestProject } from "vitest/node";

import { startEmbeddedPostgres } from "../../app/db/embedded-postgres.ts";
import { migrate } from "../../app/db/migrate.ts";
import { createLogger } from "../../app/log/logger.ts";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    postgresTemplate: string;
  }
}

export const TEMPLATE = "agent_sandbox_template";

/**
 * One real Postgres for the whole test run (TEST_DATABASE_URL when given,
 * otherwise an embedded one in a temporary folder), holding a migrated
 * template database that each test file clones.
 */
export default async function setup(project: TestProject) {
  const log = createLogger({ level: "warn", format: "json" });
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop = async () => undefined as void;
  if (!adminUrl) {
    // Under /tmp with open parent folders: as root, Postgres runs as its own
    // user, which must be able to reach its data folder.
    const dir = await mkdtemp(path.join(os.tmpdir(), "agent-sandbox-test-pg-"));
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o755);
    const server = await startEmbeddedPostgres(dir, log);
    adminUrl = server.url.replace(/\/agent_sandbox$/, "/postgres");
    stop = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  await migrate(withDatabase(adminUrl, TEMPLATE), log);

  project.provide("postgresAdminUrl", adminUrl);
  project.provide("postgresTemplate", TEMPLATE);
  return stop;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
