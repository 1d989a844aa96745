import path from "node:path";

import { describe, expect, it } from "vitest";

import { isAppError } from "../../app/errors/app-error.ts";
import { cacheName } from "../../runner/workspace/cache-name.ts";
import { mirrorPath } from "../../runner/workspace/repo-cache.ts";

const HOSTILE = [
  "../../etc",
  "..",
  ".",
  "/etc/passwd",
  "owner/../../../root",
  "a/b/c/d",
  "..\\..\\windows",
  "~root",
  "-rf",
  ".git",
  "x".repeat(900),
  "owner/repo\u202egnp.exe",
];

describe("cacheName", () => {
  it.each(HOSTILE)("keeps %j inside the cache folder", (repository) => {
    const name = cacheName(repository);
    expect(name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*-[0-9a-f]{16}$/);
    expect(name.length).toBeLessThanOrEqual(97);

    const cache = path.join("/data", "cache");
    const mirror = mirrorPath("/data", repository);
    expect(path.dirname(mirror)).toBe(cache);
    expect(path.relative(cache, mirror)).not.toMatch(/^\.\.|\//);
  });

  it("keeps the readable part of ordinary names", () => {
    expect(cacheName("octo-org/hello.world")).toMatch(
      /^octo-org_hello\.world-[0-9a-f]{16}$/,
    );
  });

  it("gives names that differ only in replaced characters their own mirrors", () => {
    const names = ["a/b", "a_b", "a:b", "a b", "A/b"];
    const mapped = new Set(names.map(cacheName));
    expect(mapped.size).toBe(names.length);
  });

  it("is stable for the same name", () => {
    expect(cacheName("owner/repo")).toBe(cacheName("owner/repo"));
  });

  it.each(["", "owner/\u0000repo", "owner/repo\n", "y".repeat(1001)])(
    "refuses %j with REPOSITORY_NAME_INVALID",
    (repository) => {
      let code: string | undefined;
      try {
        cacheName(repository);
      } catch (error) {
        code = isAppError(error) ? error.code : "other";
      }
      expect(code).toBe("REPOSITORY_NAME_INVALID");
    },
  );
});
