import { afterEach, describe, expect, it, vi } from "vitest";

import {
  createRepositoryTokens,
  REST_PERMISSIONS,
} from "../../app/github/repository-tokens.ts";

const ref = { owner: "acme", repo: "widgets" };
const HOUR = 3_600_000;

function ledger(start = 0) {
  let clock = start;
  let serial = 0;
  const minted: { installationId: number; repository: string }[] = [];
  const revoked: string[] = [];
  const tokens = createRepositoryTokens(
    async (installationId, repository, permissions) => {
      expect(permissions).toEqual(REST_PERMISSIONS);
      minted.push({ installationId, repository });
      serial += 1;
      return {
        token: `t${serial}`,
        expiresAt: new Date(clock + HOUR).toISOString(),
      };
    },
    async (token) => {
      revoked.push(token);
    },
    () => clock,
  );
  return {
    tokens,
    minted,
    revoked,
    advance: (ms: number) => (clock += ms),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createRepositoryTokens", () => {
  it("mints one token per repository, narrowed, and reuses it", async () => {
    const l = ledger();

    const first = await l.tokens.tokenFor(7, ref);
    const again = await l.tokens.tokenFor(7, ref);
    const other = await l.tokens.tokenFor(7, { owner: "acme", repo: "gears" });

    expect(first).toBe(again);
    expect(other).not.toBe(first);
    expect(l.minted).toEqual([
      { installationId: 7, repository: "widgets" },
      { installationId: 7, repository: "gears" },
    ]);
    expect(REST_PERMISSIONS.contents).toBe("read");
    await l.tokens.revokeAll();
  });

  it("revokes a token once it has been idle, and mints afresh after", async () => {
    vi.useFakeTimers();
    const l = ledger();
    const first = await l.tokens.tokenFor(7, ref);

    await vi.advanceTimersByTimeAsync(61_000);

    expect(l.revoked).toEqual([first]);
    expect(await l.tokens.tokenFor(7, ref)).not.toBe(first);
    await l.tokens.revokeAll();
  });

  it("replaces a token near its end instead of using it", async () => {
    const l = ledger();
    const first = await l.tokens.tokenFor(7, ref);

    l.advance(HOUR - 5 * 60_000);
    const second = await l.tokens.tokenFor(7, ref);

    expect(second).not.toBe(first);
    expect(l.revoked).toEqual([first]);
    await l.tokens.revokeAll();
  });

  it("revokes everything it holds at shutdown", async () => {
    const l = ledger();
    const a = await l.tokens.tokenFor(1, ref);
    const b = await l.tokens.tokenFor(2, ref);

    await l.tokens.revokeAll();

    expect(l.revoked.sort()).toEqual([a, b].sort());
  });

  it("forgets a failed mint so the next call tries again", async () => {
    let fail = true;
    const tokens = createRepositoryTokens(
      async () => {
        if (fail) throw Object.assign(new Error("no"), { status: 422 });
        return {
          token: "ok",
          expiresAt: new Date(Date.now() + HOUR).toISOString(),
        };
      },
      async () => undefined,
    );

    await expect(tokens.tokenFor(7, ref)).rejects.toMatchObject({
      status: 422,
    });
    fail = false;
    expect(await tokens.tokenFor(7, ref)).toBe("ok");
    await tokens.revokeAll();
  });
});
