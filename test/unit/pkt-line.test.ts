import { describe, expect, it } from "vitest";

import {
  encodePktLine,
  encodeSideBand,
  MAX_PKT_LENGTH,
  PktSectionReader,
  ProtocolError,
} from "../../runner/door/pkt-line.ts";

const LIMITS = { maxBytes: 1024, maxPackets: 4 };

function readAll(body: Buffer, chunk = body.length) {
  const reader = new PktSectionReader(LIMITS);
  for (let at = 0; at < body.length; at += Math.max(chunk, 1)) {
    const progress = reader.push(body.subarray(at, at + chunk));
    if (progress.done) return progress;
  }
  return reader.end();
}

describe("pkt-line framing", () => {
  it("encodes the length in four hex digits including the header", () => {
    expect(encodePktLine("hi\n").toString()).toBe("0007hi\n");
  });

  it("refuses to encode a payload over the maximum packet length", () => {
    expect(() => encodePktLine(Buffer.alloc(MAX_PKT_LENGTH))).toThrow(
      RangeError,
    );
  });

  it("splits side-band data into packets that each fit", () => {
    const packets = encodeSideBand(1, Buffer.alloc(200_000, 0x61));
    expect(packets.length).toBe(4);
    for (const packet of packets) {
      expect(packet.length).toBeLessThanOrEqual(MAX_PKT_LENGTH);
      expect(packet[4]).toBe(1);
    }
  });
});

describe("reading a pkt-line section", () => {
  const section = Buffer.from("0008one\n0008two\n0000PACKrest");

  it.each([1, 2, 3, 5, 7, 64])(
    "reads the same packets in chunks of %i",
    (n) => {
      const progress = readAll(section, n);
      expect(progress.packets.map(String)).toEqual(["one\n", "two\n"]);
      // Whatever followed the flush is kept, in order, across chunk sizes.
      const reader = new PktSectionReader(LIMITS);
      let rest = Buffer.alloc(0);
      let done = false;
      for (let at = 0; at < section.length; at += n) {
        const piece = section.subarray(at, at + n);
        if (done) rest = Buffer.concat([rest, piece]);
        else {
          const p = reader.push(piece);
          if (p.done) {
            done = true;
            rest = Buffer.from(p.rest);
          }
        }
      }
      expect(rest.toString()).toBe("PACKrest");
    },
  );

  it.each([
    ["a length that is not hex", "00zzabc", /not four hex digits/],
    ["a length below the header size", "0003", /not allowed here/],
    ["an empty packet", "0004", /not allowed here/],
    ["a delimiter packet", "0001", /not allowed here/],
    ["a length over the maximum", "fff1", /exceeds the maximum/],
    ["a body cut inside a length", "0008one\n00", /truncated/],
    ["a body cut inside a payload", "0008one\n0008tw", /truncated/],
    ["a body without the flush", "0008one\n", /before the flush/],
    ["an empty body", "", /before the flush/],
  ])("refuses %s", (_name, raw, message) => {
    expect(() => readAll(Buffer.from(raw, "latin1"))).toThrow(message);
  });

  it("refuses a section larger than its byte limit before it is complete", () => {
    const reader = new PktSectionReader(LIMITS);
    const big = encodePktLine(Buffer.alloc(1100, 0x61));
    expect(() => reader.push(big.subarray(0, 10))).toThrow(/larger than 1024/);
  });

  it("refuses a section with more packets than allowed", () => {
    const body = Buffer.concat([
      ...Array.from({ length: 5 }, () => encodePktLine("x\n")),
      Buffer.from("0000"),
    ]);
    expect(() => readAll(body)).toThrow(/more than 4 lines/);
  });

  it("throws only ProtocolError on bad input", () => {
    try {
      readAll(Buffer.from("zz"));
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
    }
  });
});
