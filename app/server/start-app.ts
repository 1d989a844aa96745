import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";

import { Probot } from "probot";

import type { Config } from "../config/load-config.ts";
import type { Database } from "../db/database.ts";
import { AppError } from "../errors/app-error.ts";
import { createDeliveryPump } from "../github/delivery-pump.ts";
import type { GitHubApp } from "../github/github-client.ts";
import { createOctokitGitHub, githubUrls } from "../github/octokit-github.ts";
import { receiveDelivery } from "../github/receive-delivery.ts";
import { createRunReporter } from "../github/run-reporter.ts";
import type { Logger } from "../log/logger.ts";
import type { SandboxRunner } from "../queue/execute-run.ts";
import { createRunQueue } from "../queue/run-queue.ts";
import { createWorker } from "../queue/worker.ts";
import {
  startHttpServer,
  WEBHOOK_PATH,
  type Middleware,
} from "./http-server.ts";

// A worker renews its lease every HEARTBEAT; a lease outlives a few missed
// heartbeats before the sweeper takes the run over.
const LEASE_MS = 60_000;
const HEARTBEAT_MS = 5_000;
const POLL_MS = 5_000;
const SWEEP_MS = 15_000;
const RESCAN_MS = 15_000;

export interface AppCredentials {
  appId: string;
  privateKey: string;
  webhookSecret: string;
}

/** Where sandboxes run; prepared separately because it may build an image. */
export interface SandboxBackend {
  run: SandboxRunner;
  sweep: () => Promise<void>;
}

export interface RunningApp {
  host: string;
  port: number;
  github: GitHubApp;
  /** Starts the worker once sandboxes can run. */
  attachSandbox(backend: SandboxBackend): void;
  stop(): Promise<void>;
}

/** The App's credentials from the configuration, or null when there are none. */
export async function readCredentials(
  config: Config,
): Promise<AppCredentials | null> {
  const { appId, privateKey, privateKeyPath, webhookSecret } = config.github;
  const anyKey = privateKey !== undefined || privateKeyPath !== undefined;
  if (!appId && !anyKey && !webhookSecret) return null;
  if (!appId || !anyKey || !webhookSecret) {
    const missing = [
      ...(appId ? [] : ["APP_ID"]),
      ...(anyKey ? [] : ["PRIVATE_KEY or PRIVATE_KEY_PATH"]),
      ...(webhookSecret ? [] : ["WEBHOOK_SECRET"]),
    ];
    throw new AppError(
      "GITHUB_APP_NOT_CONFIGURED",
      `Missing ${missing.join(", ")}.`,
    );
  }
  const key =
    privateKey?.reveal() ??
    (await readFile(privateKeyPath!, "utf8").catch((err: unknown) => {
      throw new AppError(
        "GITHUB_APP_NOT_CONFIGURED",
        `Could not read PRIVATE_KEY_PATH ${privateKeyPath}.`,
        { cause: err },
      );
    }));
  return { appId, privateKey: key, webhookSecret: webhookSecret.reveal() };
}

/**
 * The App: Probot verifies and dispatches webhooks, the delivery inbox and
 * its pump take them from there, and the worker runs what was queued. The
 * server answers webhooks as soon as the delivery is recorded.
 */
export async function startApp(options: {
  config: Config;
  db: Database;
  credentials: AppCredentials;
  log: Logger;
}): Promise<RunningApp> {
  const { config, db, credentials, log } = options;
  const urls = githubUrls(config.github.gheHost, config.github.gheProtocol);
  const github = createOctokitGitHub({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    ...urls,
    log,
  });
  const reporter = createRunReporter({ db, github, log });
  const queue = createRunQueue(db, {
    owner: `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    leaseMs: LEASE_MS,
    perInstallation: config.worker.perInstallation,
  });
  let worker: ReturnType<typeof createWorker> | undefined;

  const pump = createDeliveryPump(
    {
      db,
      github,
      reporter,
      log,
      operator: {
        defaults: config.runner.defaults,
        ceilings: config.runner.ceilings,
        minPermission: config.github.minPermission,
      },
      onQueued: () => worker?.wake(),
    },
    { rescanMs: RESCAN_MS },
  );

  const probot = new Probot({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    secret: credentials.webhookSecret,
    baseUrl: urls.apiBaseUrl,
    log: log.child({ component: "probot" }),
  });
  probot.onAny(async (context) => {
    const receipt = await receiveDelivery(db, {
      id: context.id,
      name: context.name,
      payload: context.payload,
    });
    log.debug(
      { deliveryId: context.id, event: context.name, ...receipt },
      "webhook received",
    );
    if (receipt.status === "recorded") pump.push(context.id);
  });
  const middleware = (await probot.getNodeMiddleware({
    path: WEBHOOK_PATH,
  })) as unknown as Middleware;

  const server = await startHttpServer({
    host: config.server.host,
    port: config.server.port,
    webhooks: middleware,
    log,
  });
  pump.start();

  let stopping: Promise<void> | undefined;
  return {
    host: server.host,
    port: server.port,
    github,
    attachSandbox(backend) {
      worker = createWorker(
        {
          db,
          queue,
          github,
          reporter,
          log,
          heartbeatMs: HEARTBEAT_MS,
          settings: {
            pids: config.runner.defaults.pids,
            workspaceBytes: config.runner.defaults.workspaceBytes,
            runtime: config.runner.runtime,
          },
          sandbox: backend.run,
        },
        {
          concurrency: config.worker.concurrency,
          pollMs: POLL_MS,
          sweepMs: SWEEP_MS,
          sweepSandboxes: backend.sweep,
        },
      );
      worker.start();
    },
    stop() {
      // Idempotent: a signal and a test's cleanup may both ask.
      stopping ??= (async () => {
        await server.close();
        await pump.stop();
        await worker?.stop();
        await github.close();
      })();
      return stopping;
    },
  };
}
