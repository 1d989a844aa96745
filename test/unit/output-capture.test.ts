import { describe, expect, it } from "vitest";

import { OutputCapture } from "../../runner/sandbox/output-capture.ts";
import { SecretScrubber } from "../../runner/sandbox/scrub-secrets.ts";

const token = `ghp_${"T".repeat(36)}`;

describe("OutputCapture", () => {
  it("keeps the head and the tail of long output with a marker", () => {
    const capture = new OutputCapture({
      scrubber: new SecretScrubber([]),
      headChars: 20,
      tailChars: 20,
    });
    for (let i = 0; i < 100; i += 1) {
      capture.write(Buffer.from(`line ${String(i).padStart(3, "0")}\n`));
    }
    capture.end();
    const text = capture.text();
    expect(text.startsWith("line 000\nline 001\nli")).toBe(true);
    expect(text.endsWith("line 098\nline 099\n")).toBe(true);
    expect(text).toMatch(/\[\.\.\. 860 characters of output omitted \.\.\.\]/);
    expect(capture.bytes).toBe(900);
  });

  it("scrubs a token split across chunks before streaming or storing it", () => {
    const streamed: string[] = [];
    const capture = new OutputCapture({
      scrubber: new SecretScrubber([]),
      onOutput: (text) => streamed.push(text),
    });
    capture.write(Buffer.from(`pushing with ${token.slice(0, 10)}`));
    capture.write(Buffer.from(`${token.slice(10)} now\ndone`));
    capture.end();
    expect(streamed.join("")).toBe("pushing with [redacted] now\ndone");
    expect(capture.text()).not.toContain("TTTTTTTT");
  });

  it("decodes a character split across chunks", () => {
    const capture = new OutputCapture({ scrubber: new SecretScrubber([]) });
    const bytes = Buffer.from("héllo\n");
    capture.write(bytes.subarray(0, 2));
    capture.write(bytes.subarray(2));
    capture.end();
    expect(capture.text()).toBe("héllo\n");
  });

  it("lets a line without end through in pieces, holding a margin", () => {
    const streamed: string[] = [];
    const capture = new OutputCapture({
      scrubber: new SecretScrubber([]),
      onOutput: (text) => streamed.push(text),
    });
    capture.write(Buffer.from(".".repeat(20_000)));
    expect(streamed.join("").length).toBeGreaterThan(15_000);
    capture.end();
    expect(streamed.join("").length).toBe(20_000);
  });
});
