import { describe, expect, it } from "vitest";

import { PatchReader } from "../../runner/door/git-added-lines.ts";
import { SECRET_PATTERNS } from "../../runner/door/verify-push.ts";

function added(patch: string | Buffer, chunk = 7): [string, string][] {
  const seen: [string, string][] = [];
  const reader = new PatchReader((path, text) => seen.push([path, text]));
  const bytes = Buffer.from(patch);
  for (let at = 0; at < bytes.length; at += chunk) {
    reader.push(bytes.subarray(at, at + chunk));
  }
  reader.end();
  return seen;
}

const HEADER =
  "\0abc\ndiff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n";

describe("reading added lines from a patch", () => {
  it("hands over added lines with their file, not removed ones", () => {
    const patch = `${HEADER}@@ -1 +1,2 @@\n-old\n+new\n+more\n`;
    expect(added(patch)).toEqual([
      ["f", "new"],
      ["f", "more"],
    ]);
  });

  it("treats an added line that reads like a header as an added line", () => {
    const patch = `${HEADER}@@ -1 +1 @@\n--- a/x\n+++ b/ghp_hidden\n`;
    expect(added(patch)).toEqual([["f", "++ b/ghp_hidden"]]);
  });

  it("scans a huge line in overlapping pieces, finding a token at any offset", () => {
    const token = `ghp_${"A".repeat(36)}`;
    for (const offset of [10, 65_530, 65_536 - 2, 200_000]) {
      const line = "x".repeat(offset) + token + "y".repeat(100_000);
      const seen = added(`${HEADER}@@ -0,0 +1 @@\n+${line}\n`, 4096);
      const hit = seen.some(([, text]) => SECRET_PATTERNS[0]!.regex.test(text));
      expect(hit, `offset ${offset}`).toBe(true);
      expect(Math.max(...seen.map(([, t]) => t.length))).toBeLessThan(70_000);
    }
  });

  it.each([
    ["a classic GitHub token", `token = "ghp_${"a".repeat(36)}"`],
    ["a fine-grained GitHub token", `github_pat_${"A".repeat(30)}`],
    ["a private key block", "-----BEGIN OPENSSH PRIVATE KEY-----"],
    ["an RSA private key block", "-----BEGIN RSA PRIVATE KEY-----"],
    ["an AWS access key id", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE"],
    ["a Slack token", "xoxb-1234567890-abcdef"],
    ["a Google API key", `key=AIza${"B".repeat(35)}`],
    ["a run credential", `asbx_${"c".repeat(43)}`],
  ])("recognises %s", (_name, line) => {
    expect(SECRET_PATTERNS.some((p) => p.regex.test(line))).toBe(true);
  });

  it.each([
    ["a plain word", "github token goes here"],
    ["a public key", "-----BEGIN PUBLIC KEY-----"],
    ["a short prefix", "ghp_abc"],
  ])("ignores %s", (_name, line) => {
    expect(SECRET_PATTERNS.some((p) => p.regex.test(line))).toBe(false);
  });
});
