import { describe, expect, it } from "vitest";

import { SecretScrubber } from "../../runner/sandbox/scrub-secrets.ts";

const scrubber = () => new SecretScrubber(["run-credential-1234"]);

describe("SecretScrubber", () => {
  it.each([
    ["a classic GitHub token", `token ghp_${"a1B2".repeat(9)}`],
    ["an installation token", `ghs_${"Z9y8".repeat(9)} leaked`],
    ["an OAuth token", `gho_${"Q".repeat(36)}`],
    ["a fine-grained token", `github_pat_11ABCDEFG0_${"x".repeat(60)}`],
    ["git's basic auth", "https://x-access-token:s3cr3tvalue@github.com/o/r"],
    ["a bearer header", "Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.abc"],
    ["an AWS key id", "AKIAIOSFODNN7EXAMPLE is the key"],
    [
      "an AWS secret",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
    ["an Anthropic key", `sk-ant-api03-${"k".repeat(40)}`],
  ])("removes %s", (_what, line) => {
    const clean = scrubber().scrub(line);
    expect(clean).toContain("[redacted]");
    for (const secret of [
      "a1B2a1B2",
      "Z9y8Z9y8",
      "QQQQQQQQ",
      "xxxxxxxx",
      "s3cr3tvalue",
      "JIUzI1NiJ9",
      "IOSFODNN7",
      "bPxRfiCY",
      "kkkkkkkk",
    ]) {
      expect(clean).not.toContain(secret);
    }
  });

  it("removes the run's own credential, plain and base64-encoded", () => {
    const basic = Buffer.from("x-access-token:run-credential-1234").toString(
      "base64",
    );
    const clean = scrubber().scrub(
      `token run-credential-1234 header ${basic}\nplain run-credential-1234`,
    );
    expect(clean).not.toContain("run-credential-1234");
    expect(clean).not.toContain(basic);
  });

  it("removes a private key block across calls", () => {
    const s = scrubber();
    const out = [
      s.scrub("before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r"),
      s.scrub("ZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nafter"),
    ].join("\n");
    expect(out).not.toContain("b3BlbnNzaC1r");
    expect(out).not.toContain("ZXktdjEAAAAA");
    expect(out).toContain("before");
    expect(out).toContain("after");
  });

  it("leaves ordinary output alone", () => {
    const text = "npm test\n  12 passing (40ms)\ncommit 3f2a9c1 on main";
    expect(scrubber().scrub(text)).toBe(text);
  });
});
