import { Writable } from "node:stream";

import { describe, expect, it } from "vitest";

import { createLogger } from "../../app/log/logger.ts";
import {
  CREDENTIAL_PATTERN,
  hashCredential,
  inProcessCredential,
  issueRunCredential,
  judgeCredential,
} from "../../runner/door/run-credential.ts";

const SCOPE = { runId: "run-1", repository: "acme/widgets", branch: "agent/x" };
const LATER = new Date(Date.now() + 60_000);

describe("run credentials", () => {
  it("are 256 random bits, distinct, and stored only as their hash", () => {
    const a = issueRunCredential(SCOPE, LATER);
    const b = issueRunCredential(SCOPE, LATER);
    expect(a.token).not.toBe(b.token);
    const raw = Buffer.from(a.token.slice("asbx_".length), "base64url");
    expect(raw.length).toBe(32);
    expect(a.stored.hash).toBe(hashCredential(a.token));
    expect(JSON.stringify(a.stored)).not.toContain(a.token);
    expect(a.token).toMatch(CREDENTIAL_PATTERN);
  });

  it("accept the right token within its scope and time", () => {
    const { token, stored } = issueRunCredential(SCOPE, LATER);
    expect(judgeCredential(stored, token)).toEqual({ ok: true, scope: SCOPE });
  });

  it.each([
    ["a wrong token", (t: string) => `${t.slice(0, -1)}x`, "unknown"],
    ["an empty token", () => "", "unknown"],
    ["the stored hash itself", (t: string) => hashCredential(t), "unknown"],
  ])("refuse %s", (_name, change, reason) => {
    const { token, stored } = issueRunCredential(SCOPE, LATER);
    expect(judgeCredential(stored, change(token))).toEqual({
      ok: false,
      reason,
    });
  });

  it("refuse an expired or revoked credential, and any token for no record", () => {
    const { token, stored } = issueRunCredential(
      SCOPE,
      new Date(Date.now() - 1),
    );
    expect(judgeCredential(stored, token)).toEqual({
      ok: false,
      reason: "expired",
    });
    const fresh = issueRunCredential(SCOPE, LATER);
    const revoked = { ...fresh.stored, revokedAt: new Date() };
    expect(judgeCredential(revoked, fresh.token)).toEqual({
      ok: false,
      reason: "revoked",
    });
    expect(judgeCredential(null, fresh.token)).toEqual({
      ok: false,
      reason: "unknown",
    });
  });

  it("in-process: bound to the run and dead once revoked", async () => {
    const credential = inProcessCredential(SCOPE, LATER);
    expect((await credential.check("run-1", credential.token)).ok).toBe(true);
    expect((await credential.check("run-2", credential.token)).ok).toBe(false);
    credential.revoke();
    expect(await credential.check("run-1", credential.token)).toEqual({
      ok: false,
      reason: "revoked",
    });
  });

  it("never reach a log line under the field names we use", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ level: "info", format: "json" }, sink);
    const issued = issueRunCredential(SCOPE, LATER);
    log.info({ token: issued.token, credential: issued.token }, "issued");
    log.info({ issued }, "nested");
    expect(lines.join("")).not.toContain(issued.token);
  });
});
