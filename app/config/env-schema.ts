import { z } from "zod";

import { Secret } from "./secret.ts";

// Every setting the process reads from its environment, with its default.
// The README's configuration table and `.env.example` are checked against
// this list by a test, so a setting documented is a setting that exists.

const port = z.coerce
  .number({ error: "expected a whole number from 0 to 65535" })
  .int("expected a whole number from 0 to 65535")
  .min(0, "expected a whole number from 0 to 65535")
  .max(65535, "expected a whole number from 0 to 65535");

function positiveInt(what: string) {
  const message = `expected a whole number of ${what} above 0`;
  return z.coerce.number({ error: message }).int(message).positive(message);
}

const positiveNumber = z.coerce
  .number({ error: "expected a number above 0" })
  .positive("expected a number above 0");

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

const optionalSecret = z
  .string()
  .optional()
  .transform((value) =>
    value === undefined || value === "" ? undefined : new Secret(value),
  );

const permission = z.enum(["write", "maintain", "admin"], {
  error: "expected one of write, maintain, admin",
});

export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "expected one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  LOG_FORMAT: z
    .enum(["json", "pretty"], { error: "expected json or pretty" })
    .default("json"),
  AGENT_SANDBOX_DATA_DIR: z.string().min(1).default("./.data"),
  AGENT_SANDBOX_INSTANCE: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      "expected lowercase letters, digits and dashes",
    )
    .default("agent-sandbox"),
  DATABASE_URL: optionalSecret,

  APP_ID: optionalText,
  PRIVATE_KEY: optionalSecret,
  PRIVATE_KEY_PATH: optionalText,
  WEBHOOK_SECRET: optionalSecret,
  GHE_HOST: optionalText,
  GHE_PROTOCOL: z.enum(["https", "http"]).default("https"),
  TRIGGER_MIN_PERMISSION: permission.default("write"),

  DOCKER_SOCKET: z.string().min(1).default("/var/run/docker.sock"),
  RUNNER_BASE_IMAGE: z.string().min(1).default("debian:bookworm-slim"),
  RUNNER_RUNTIME: optionalText,
  WORKER_CONCURRENCY: positiveInt("runs").default(2),
  INSTALLATION_CONCURRENCY: positiveInt("runs").default(2),

  RUN_TIMEOUT_SECONDS: positiveInt("seconds").default(30 * 60),
  RUN_MEMORY_MIB: positiveInt("MiB").default(2048),
  RUN_CPUS: positiveNumber.default(1),
  RUN_PIDS: positiveInt("processes").default(512),
  RUN_WORKSPACE_MIB: positiveInt("MiB").default(2048),
  MAX_TIMEOUT_SECONDS: positiveInt("seconds").default(3 * 60 * 60),
  MAX_MEMORY_MIB: positiveInt("MiB").default(8192),
  MAX_CPUS: positiveNumber.default(4),
  MAX_WORKSPACE_MIB: positiveInt("MiB").default(8192),

  ANTHROPIC_API_KEY: optionalSecret,
  ANTHROPIC_BASE_URL: z.url().default("https://api.anthropic.com"),
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: z.url().default("https://api.openai.com"),
  RUN_TOKEN_BUDGET: positiveInt("tokens").optional(),
});

export type Env = z.output<typeof envSchema>;
