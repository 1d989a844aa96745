// Webhook acknowledgement latency: 200 signed `/agent fix` deliveries to the
// real app's webhook endpoint against a bare node:http handler that only
// verifies the signature, in the same process, interleaved one for one so
// that both see the same machine. Target: the app's p99 at most 3 times the
// bare handler's, and under 250 ms.

import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import { verify } from "@octokit/webhooks-methods";
import pino from "pino";

import { loadConfig } from "../app/config/load-config.ts";
import { connectDatabase } from "../app/db/database.ts";
import { startEmbeddedPostgres } from "../app/db/embedded-postgres.ts";
import { migrate } from "../app/db/migrate.ts";
import { createLogger } from "../app/log/logger.ts";
import { readCredentials, startApp } from "../app/server/start-app.ts";
import {
  sendWebhook,
  startGitHubSimulator,
  type WebhookEvent,
} from "../test/support/github-simulator/simulator.ts";
import type { BenchResult } from "./index.ts";
import { percentile } from "./sample-stats.ts";

const DELIVERIES = 200;
const WARMUP = 20;
const SECRET = "bench-webhook-secret";
const P99_CEILING_MS = 250;

export async function webhookBench(): Promise<BenchResult> {
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const quiet = createLogger(
      { level: "info", format: "json" },
      pino.destination("/dev/null"),
    );
    const url = await database(cleanup, quiet);
    const sim = await startGitHubSimulator({ appId: 4711 });
    cleanup.push(() => sim.close());
    const repo = `${sim.organization}/bench`;
    await sim.addRepository({
      name: "bench",
      files: { ".github/agent-sandbox.yml": "agent:\n  command: true\n" },
    });
    sim.addCollaborator(repo, "alice", "write");

    const dataDir = await mkdtemp(path.join(os.tmpdir(), "webhook-bench-"));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const config = loadConfig({
      APP_ID: String(sim.appId),
      PRIVATE_KEY: sim.privateKeyPem,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: sim.host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: url,
      AGENT_SANDBOX_DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: "0",
    });
    const db = connectDatabase(url);
    cleanup.push(() => db.close());
    const app = await startApp({
      config,
      db,
      credentials: (await readCredentials(config))!,
      log: quiet,
    });
    cleanup.push(() => app.stop());
    const bare = await bareHandler();
    cleanup.push(() => bare.close());

    const appUrl = `http://127.0.0.1:${app.port}/api/github/webhooks`;
    const events: WebhookEvent[] = [];
    for (let i = 0; i < DELIVERIES + WARMUP; i += 1) {
      const issue = sim.addIssue({
        repository: repo,
        title: `bug ${i}`,
        user: "alice",
      });
      const comment = sim.addIssueComment({
        repository: repo,
        number: issue.number,
        user: "alice",
        body: "/agent fix",
      });
      events.push(await sim.events.issueComment({ comment }));
    }

    const appTimes: number[] = [];
    const bareTimes: number[] = [];
    for (const [index, event] of events.entries()) {
      const delivery = {
        event: event.event,
        payload: event.payload,
        secret: SECRET,
      };
      const a = await sendWebhook(appUrl, delivery);
      const b = await sendWebhook(bare.url, delivery);
      if (a.status !== 200 || b.status !== 200) {
        throw new Error(`delivery ${index} answered ${a.status} / ${b.status}`);
      }
      if (index >= WARMUP) {
        appTimes.push(a.durationMs);
        bareTimes.push(b.durationMs);
      }
    }

    const appStats = stats(appTimes);
    const bareStats = stats(bareTimes);
    return {
      name: "webhook",
      ratio: round(appStats.p99 / bareStats.p99),
      details: {
        deliveries: DELIVERIES,
        appP50Ms: appStats.p50,
        appP99Ms: appStats.p99,
        bareP50Ms: bareStats.p50,
        bareP99Ms: bareStats.p99,
        p50Ratio: round(appStats.p50 / bareStats.p50),
        appP99UnderCeiling: appStats.p99 < P99_CEILING_MS,
      },
    };
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

async function database(
  cleanup: (() => Promise<unknown>)[],
  log: ReturnType<typeof createLogger>,
): Promise<string> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    await migrate(given, log);
    return given;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "webhook-bench-pg-"));
  const { chmod } = await import("node:fs/promises");
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres(dir, log);
  cleanup.push(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await migrate(server.url, log);
  return server.url;
}

/** The least a webhook endpoint can do: read the body, check the HMAC. */
async function bareHandler(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signature = String(req.headers["x-hub-signature-256"] ?? "");
      verify(SECRET, body, signature).then(
        (ok) => res.writeHead(ok ? 200 : 401).end(ok ? "ok\n" : ""),
        () => res.writeHead(400).end(),
      );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function stats(samples: number[]): { p50: number; p99: number } {
  return {
    p50: round(percentile(samples, 0.5)),
    p99: round(percentile(samples, 0.99)),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
