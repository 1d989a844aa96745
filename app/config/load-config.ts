import path from "node:path";

import { AppError } from "../errors/app-error.ts";
import { envSchema, type Env } from "./env-schema.ts";
import type { Secret } from "./secret.ts";

const MiB = 1024 * 1024;

export interface LimitSettings {
  timeoutSeconds: number;
  memoryBytes: number;
  cpus: number;
  pids: number;
  workspaceBytes: number;
}

export interface Config {
  server: { host: string; port: number };
  log: { level: Env["LOG_LEVEL"]; format: Env["LOG_FORMAT"] };
  dataDir: string;
  instance: string;
  databaseUrl: Secret | undefined;
  github: {
    appId: string | undefined;
    privateKey: Secret | undefined;
    privateKeyPath: string | undefined;
    webhookSecret: Secret | undefined;
    gheHost: string | undefined;
    gheProtocol: "http" | "https";
    minPermission: "write" | "maintain" | "admin";
  };
  docker: { socketPath: string };
  runner: {
    baseImage: string;
    runtime: string | undefined;
    defaults: LimitSettings;
    ceilings: Omit<LimitSettings, "pids">;
  };
  worker: { concurrency: number; perInstallation: number };
  models: {
    anthropic: { apiKey: Secret | undefined; baseUrl: string };
    openai: { apiKey: Secret | undefined; baseUrl: string };
    tokenBudget: number | undefined;
  };
}

/**
 * Reads the environment once into a frozen, typed configuration. Every
 * problem is reported at once, each with the variable's name and what it
 * expects, so one round of fixes is enough.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".")}: ${issue.message}`,
    );
    throw new AppError(
      "CONFIG_INVALID",
      `Invalid environment:\n${lines.join("\n")}`,
    );
  }

  return deepFreeze(toConfig(parsed.data, cwd));
}

function toConfig(env: Env, cwd: string): Config {
  return {
    server: { host: env.HOST, port: env.PORT },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    dataDir: path.resolve(cwd, env.AGENT_SANDBOX_DATA_DIR),
    instance: env.AGENT_SANDBOX_INSTANCE,
    databaseUrl: env.DATABASE_URL,
    github: {
      appId: env.APP_ID,
      privateKey: env.PRIVATE_KEY,
      privateKeyPath: env.PRIVATE_KEY_PATH,
      webhookSecret: env.WEBHOOK_SECRET,
      gheHost: env.GHE_HOST,
      gheProtocol: env.GHE_PROTOCOL,
      minPermission: env.TRIGGER_MIN_PERMISSION,
    },
    docker: { socketPath: env.DOCKER_SOCKET },
    runner: {
      baseImage: env.RUNNER_BASE_IMAGE,
      runtime: env.RUNNER_RUNTIME,
      defaults: {
        timeoutSeconds: env.RUN_TIMEOUT_SECONDS,
        memoryBytes: env.RUN_MEMORY_MIB * MiB,
        cpus: env.RUN_CPUS,
        pids: env.RUN_PIDS,
        workspaceBytes: env.RUN_WORKSPACE_MIB * MiB,
      },
      ceilings: {
        timeoutSeconds: env.MAX_TIMEOUT_SECONDS,
        memoryBytes: env.MAX_MEMORY_MIB * MiB,
        cpus: env.MAX_CPUS,
        workspaceBytes: env.MAX_WORKSPACE_MIB * MiB,
      },
    },
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      perInstallation: env.INSTALLATION_CONCURRENCY,
    },
    models: {
      anthropic: {
        apiKey: env.ANTHROPIC_API_KEY,
        baseUrl: env.ANTHROPIC_BASE_URL,
      },
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL },
      tokenBudget: env.RUN_TOKEN_BUDGET,
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
