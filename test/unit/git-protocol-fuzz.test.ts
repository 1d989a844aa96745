import { describe, expect, it } from "vitest";

import {
  parseCommandList,
  ZERO_SHA,
} from "../../runner/door/git-command-list.ts";
import {
  encodePktLine,
  PktSectionReader,
  ProtocolError,
} from "../../runner/door/pkt-line.ts";
import { verifyCommands } from "../../runner/door/verify-push.ts";

// Seeded, so a failure names a case that can be replayed.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BRANCH = "agent/fix-1";
const VALID = [
  Buffer.concat([
    encodePktLine(
      `${ZERO_SHA} ${"a".repeat(40)} refs/heads/${BRANCH}\0report-status side-band-64k agent=git/2.39\n`,
    ),
    Buffer.from("0000PACK\0\0\0\x02\0\0\0\0", "latin1"),
  ]),
  Buffer.concat([
    encodePktLine(
      `${"b".repeat(40)} ${"c".repeat(40)} refs/tags/v1\0report-status\n`,
    ),
    encodePktLine(`${ZERO_SHA} ${"d".repeat(40)} refs/heads/${BRANCH}\n`),
    Buffer.from("0000", "latin1"),
  ]),
];

function mutate(input: Buffer, random: () => number): Buffer {
  const bytes = Buffer.from(input);
  const pick = () => Math.floor(random() * bytes.length);
  const rounds = 1 + Math.floor(random() * 4);
  let out = bytes;
  for (let i = 0; i < rounds; i++) {
    const kind = Math.floor(random() * 5);
    if (kind === 0) out[pick()] = Math.floor(random() * 256);
    if (kind === 1) out = out.subarray(0, pick());
    if (kind === 2) {
      const at = pick();
      const junk = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
          Math.floor(random() * 256),
        ),
      );
      out = Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
    }
    if (kind === 3) {
      // Rewrite a length field with another hex value.
      const digits = Math.floor(random() * 0x10000)
        .toString(16)
        .padStart(4, "0");
      out.write(
        digits,
        Math.min(pick(), Math.max(out.length - 4, 0)),
        "latin1",
      );
    }
    if (kind === 4)
      out[pick()] = [0x00, 0x0a, 0x0d, 0x20][Math.floor(random() * 4)]!;
  }
  return out;
}

function randomBody(random: () => number): Buffer {
  return Buffer.from(
    Array.from({ length: Math.floor(random() * 300) }, () =>
      random() < 0.5
        ? Math.floor(random() * 256)
        : "0123456789abcdef\n\0 ".charCodeAt(Math.floor(random() * 20)),
    ),
  );
}

/** What the gateway does with a body before any pack is stored. */
function judgeCommandSection(raw: Buffer, random: () => number) {
  const reader = new PktSectionReader({ maxBytes: 64 * 1024, maxPackets: 32 });
  for (let at = 0; at < raw.length;) {
    const size = 1 + Math.floor(random() * 64);
    const progress = reader.push(raw.subarray(at, at + size));
    at += size;
    if (progress.done) {
      const list = parseCommandList(progress.packets);
      return verifyCommands({ list, branch: BRANCH });
    }
  }
  return reader.end();
}

describe("fuzzing the push protocol parser", () => {
  it("only ever answers with a verdict or a ProtocolError, over 20,000 bodies", () => {
    const random = prng(0x5eed);
    let refused = 0;
    let passed = 0;
    for (let i = 0; i < 20_000; i++) {
      const raw =
        i % 4 === 0
          ? randomBody(random)
          : mutate(VALID[i % VALID.length]!, random);
      try {
        const violations = judgeCommandSection(raw, random);
        if (violations.length === 0) passed++;
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          throw new Error(`case ${i} threw ${String(err)}`, { cause: err });
        }
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(5_000);
    // Some mutations leave a valid command list (a changed agent string,
    // say); those still go on to the object checks, which is the point.
    expect(passed).toBeGreaterThan(0);
  });

  it("never passes a mutated body that names a ref other than the run's", () => {
    const random = prng(42);
    for (let i = 0; i < 5_000; i++) {
      const raw = mutate(VALID[1]!, random);
      try {
        const violations = judgeCommandSection(raw, random);
        if (violations.length === 0) {
          const text = raw.toString("latin1");
          expect(text).not.toContain("refs/tags/v1");
        }
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
