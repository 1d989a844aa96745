import { describe, expect, it } from "vitest";

import { loadConfig } from "../../app/config/load-config.ts";
import { isAppError } from "../../app/errors/app-error.ts";

describe("loadConfig", () => {
  it("fills every default from an empty environment", () => {
    const config = loadConfig({}, "/srv/app");

    expect(config.server).toEqual({ host: "0.0.0.0", port: 3000 });
    expect(config.dataDir).toBe("/srv/app/.data");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.runner.defaults).toEqual({
      timeoutSeconds: 1800,
      memoryBytes: 2 * 1024 ** 3,
      cpus: 1,
      pids: 512,
      workspaceBytes: 2 * 1024 ** 3,
    });
  });

  it("returns a frozen object, deeply", () => {
    const config = loadConfig({});

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.runner.defaults)).toBe(true);
  });

  it("reports every bad variable at once, by name, with what it expects", () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: "abc", RUN_CPUS: "-1", LOG_FORMAT: "xml" });
    } catch (err) {
      caught = err;
    }

    expect(isAppError(caught)).toBe(true);
    const text = (caught as Error).message;
    expect(text).toContain("PORT: expected a whole number from 0 to 65535");
    expect(text).toContain("RUN_CPUS: expected a number above 0");
    expect(text).toContain("LOG_FORMAT: expected json or pretty");
  });

  it("keeps secrets out of every textual form of the config", () => {
    const config = loadConfig({
      WEBHOOK_SECRET: "canary-webhook-secret",
      DATABASE_URL: "postgres://u:canary-db-password@db/x",
      ANTHROPIC_API_KEY: "canary-anthropic-key",
    });

    const texts = [JSON.stringify(config), String(config.github.webhookSecret)];
    for (const text of texts) expect(text).not.toMatch(/canary/);
    expect(config.github.webhookSecret?.reveal()).toBe("canary-webhook-secret");
  });
});
