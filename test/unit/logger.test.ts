import { Writable } from "node:stream";

import { describe, expect, it } from "vitest";

import { loadConfig } from "../../app/config/load-config.ts";
import { createLogger } from "../../app/log/logger.ts";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("never writes a configured secret, wherever it is logged", () => {
    const canaries = {
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----canary-pk",
      WEBHOOK_SECRET: "canary-webhook",
      DATABASE_URL: "postgres://app:canary-db-pass@db:5432/app",
      ANTHROPIC_API_KEY: "canary-anthropic",
      OPENAI_API_KEY: "canary-openai",
    };
    const config = loadConfig(canaries);
    const { lines, stream } = capture();
    const log = createLogger({ level: "debug", format: "json" }, stream);

    log.info({ config }, "configuration");
    log.info({ token: "canary-token", nested: { password: "canary-pw" } }, "x");
    log.info({ headers: { authorization: "Bearer canary-bearer" } }, "y");
    log.info({ apiKey: config.models.openai.apiKey }, "z");

    const output = lines.join("");
    expect(output).toContain('"msg":"configuration"');
    expect(output).not.toMatch(/canary/);
  });

  it("writes structured JSON with the data in fields", () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: "info", format: "json" }, stream);

    log.child({ runId: "r1" }).info({ durationMs: 5 }, "run finished");

    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      runId: "r1",
      durationMs: 5,
      msg: "run finished",
      level: 30,
    });
  });
});
