import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { withEnvFile } from "../../app/config/read-env-file.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "env-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("withEnvFile", () => {
  it("adds the file's settings beneath the real environment", () => {
    writeFileSync(
      path.join(dir, ".env"),
      'APP_ID=123\nWEBHOOK_SECRET="from file"\nPORT=4000\n',
    );

    const env = withEnvFile({ PORT: "5000", HOST: undefined }, dir);

    expect(env).toMatchObject({
      APP_ID: "123",
      WEBHOOK_SECRET: "from file",
      PORT: "5000",
    });
  });

  it("leaves the environment alone when there is no file", () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "env-none-"));
    afterAll(() => rmSync(empty, { recursive: true, force: true }));

    expect(withEnvFile({ PORT: "1" }, empty)).toEqual({ PORT: "1" });
  });
});
