import { afterAll, describe, expect, it } from "vitest";

import { loadConfig } from "../../app/config/load-config.ts";
import { createLogger } from "../../app/log/logger.ts";
import { startSetupMode } from "../../app/server/setup-mode.ts";

describe("setup mode", () => {
  it("serves the manifest flow with app.yml's least permissions", async () => {
    const config = loadConfig({ HOST: "127.0.0.1", PORT: "0" });
    const setup = await startSetupMode(
      config,
      createLogger({ level: "silent", format: "json" }),
    );
    afterAll(() => setup.stop());
    expect(setup.port).not.toBe(0);

    const root = await fetch(`http://127.0.0.1:${setup.port}/`, {
      redirect: "manual",
    });
    expect(root.status).toBe(302);

    const page = await fetch(`http://127.0.0.1:${setup.port}/probot`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const manifest = /name="manifest"[^>]*value='([^']*)'/.exec(html);
    expect(manifest).not.toBeNull();
    const decoded = JSON.parse(manifest![1]!) as {
      default_permissions: Record<string, string>;
      default_events: string[];
    };
    expect(decoded.default_permissions).toEqual({
      contents: "write",
      pull_requests: "write",
      issues: "write",
      checks: "write",
      metadata: "read",
    });
    expect(decoded.default_events).toContain("check_run");
    expect(html).toContain("github.com/settings/apps/new");
  });
});
