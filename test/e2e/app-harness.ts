import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterAll } from "vitest";

import { loadConfig, type Config } from "../../app/config/load-config.ts";
import type { Database } from "../../app/db/database.ts";
import { createLogger, type Logger } from "../../app/log/logger.ts";
import {
  readCredentials,
  startApp,
  type RunningApp,
} from "../../app/server/start-app.ts";
import {
  sendWebhook,
  startGitHubSimulator,
  type GitHubSimulator,
  type WebhookEvent,
  type WebhookResponse,
} from "../support/github-simulator/simulator.ts";
import { createTestDatabase } from "../support/test-database.ts";

export const WEBHOOK_SECRET = "e2e-webhook-secret";
export const ORG = "acme";

export interface Harness {
  sim: GitHubSimulator;
  app: RunningApp;
  db: Database;
  config: Config;
  log: Logger;
  dataDir: string;
  deliver(event: WebhookEvent, deliveryId?: string): Promise<WebhookResponse>;
}

/**
 * The real app, configured the way an operator would configure it for a
 * GitHub Enterprise Server (GHE_HOST, GHE_PROTOCOL=http), pointed at a
 * local simulator, with its own database. Everything is torn down after the
 * file's tests.
 */
export async function startHarness(
  env: Record<string, string> = {},
): Promise<Harness> {
  const sim = await startGitHubSimulator({ appId: 31337, organization: ORG });
  afterAll(() => sim.close());
  const { db, url } = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "agent-sandbox-e2e-"));
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const config = loadConfig({
    APP_ID: String(sim.appId),
    PRIVATE_KEY: sim.privateKeyPem,
    WEBHOOK_SECRET,
    GHE_HOST: sim.host,
    GHE_PROTOCOL: "http",
    DATABASE_URL: url,
    AGENT_SANDBOX_DATA_DIR: dataDir,
    AGENT_SANDBOX_INSTANCE: `e2e-${randomBytes(4).toString("hex")}`,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "silent",
    ...env,
  });
  const log = createLogger(config.log);
  const credentials = await readCredentials(config);
  const app = await startApp({ config, db, credentials: credentials!, log });
  afterAll(() => app.stop());

  const endpoint = `http://127.0.0.1:${app.port}/api/github/webhooks`;
  return {
    sim,
    app,
    db,
    config,
    log,
    dataDir,
    deliver: (event, deliveryId) =>
      sendWebhook(endpoint, {
        event: event.event,
        payload: event.payload,
        secret: WEBHOOK_SECRET,
        ...(deliveryId && { deliveryId }),
      }),
  };
}

/** Polls until `check` returns a value, or fails with what it last saw. */
export async function eventually<T>(
  check: () =>
    Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Counts rows of a delivery-inbox result, for "exactly once" checks. */
export async function deliveryResult(
  db: Database,
  deliveryId: string,
): Promise<string | null> {
  const found = await db.query<{ result: string | null }>(
    "SELECT result FROM webhook_deliveries WHERE delivery_id = $1",
    [deliveryId],
  );
  return found.rows[0]?.result ?? null;
}
