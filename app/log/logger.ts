import pino, { type DestinationStream, type Logger } from "pino";

import type { Config } from "../config/load-config.ts";

export type { Logger };

// Values of these keys never reach a log line, wherever they sit in a logged
// object. Configuration secrets are also `Secret` objects, which print as
// `[redacted]` on their own; this list catches the ones that are plain strings
// by the time they are logged (tokens, headers, credentials).
const SECRET_KEYS = [
  "token",
  "password",
  "authorization",
  "privateKey",
  "apiKey",
  "credential",
  "secret",
  "webhookSecret",
  "databaseUrl",
  "x-api-key",
];

const redactPaths = SECRET_KEYS.flatMap((key) => [
  `["${key}"]`,
  `*["${key}"]`,
  `*.*["${key}"]`,
  `*.headers["${key}"]`,
]);

/**
 * The one place that decides how logs look. Expected outcomes are info, our
 * own faults are error, chatter is debug; messages are short constants and
 * the data travels in fields.
 */
export function createLogger(
  settings: Config["log"],
  destination?: DestinationStream,
): Logger {
  const options = {
    level: settings.level,
    base: { service: "agent-sandbox" },
    redact: { paths: redactPaths, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
  };
  if (destination) return pino(options, destination);
  if (settings.format === "pretty") {
    return pino({
      ...options,
      transport: {
        target: "pino-pretty",
        options: { destination: 2, translateTime: "SYS:HH:MM:ss.l" },
      },
    });
  }
  return pino(options, pino.destination({ fd: 2, sync: false }));
}
