import { describe, expect, it } from "vitest";

import {
  parseCommandList,
  ZERO_SHA,
} from "../../runner/door/git-command-list.ts";
import { encodePktLine, PktSectionReader } from "../../runner/door/pkt-line.ts";
import { verifyCommands } from "../../runner/door/verify-push.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const BRANCH = "agent/fix-1";
const REF = `refs/heads/${BRANCH}`;
const CAPS = "report-status side-band-64k agent=git/2.39.5";

/** A raw request body: pkt-lines, a flush, then whatever follows. */
function body(lines: (string | Buffer)[], after = "PACK"): Buffer {
  return Buffer.concat([
    ...lines.map((line) => encodePktLine(line)),
    Buffer.from(`0000${after}`),
  ]);
}

function parse(raw: Buffer) {
  const reader = new PktSectionReader({ maxBytes: 64 * 1024, maxPackets: 32 });
  const progress = reader.push(raw);
  if (!progress.done) reader.end();
  return parseCommandList(progress.done ? progress.packets : []);
}

function rules(raw: Buffer): string[] {
  return verifyCommands({ list: parse(raw), branch: BRANCH }).map(
    (v) => v.rule,
  );
}

describe("parsing the command list of a push", () => {
  it("reads one update with its capabilities", () => {
    const list = parse(body([`${ZERO_SHA} ${A} ${REF}\0${CAPS}\n`]));
    expect(list.commands).toEqual([{ oldSha: ZERO_SHA, newSha: A, ref: REF }]);
    expect(list.capabilities).toEqual([
      "report-status",
      "side-band-64k",
      "agent",
    ]);
    expect(list.agent).toBe("git/2.39.5");
    expect(rules(body([`${ZERO_SHA} ${A} ${REF}\0${CAPS}\n`]))).toEqual([]);
  });

  it.each<[string, (string | Buffer)[], RegExp]>([
    ["no command at all", [], /no ref update/],
    [
      "a duplicate command",
      [`${A} ${B} ${REF}\0${CAPS}\n`, `${A} ${B} ${REF}\n`],
      /appears twice/,
    ],
    [
      "a non-hex old sha",
      [`${"g".repeat(40)} ${A} ${REF}\0${CAPS}\n`],
      /old object id/,
    ],
    [
      "an uppercase new sha",
      [`${ZERO_SHA} ${"A".repeat(40)} ${REF}\0${CAPS}\n`],
      /new object id/,
    ],
    [
      "a short sha",
      [`${ZERO_SHA} ${"a".repeat(39)} ${REF}\0${CAPS}\n`],
      /new object id/,
    ],
    [
      "a CR in the ref",
      [`${ZERO_SHA} ${A} ${REF}\r\0${CAPS}\n`],
      /carriage return/,
    ],
    [
      "a NUL inside a later line",
      [
        `${ZERO_SHA} ${A} ${REF}\0${CAPS}\n`,
        `${ZERO_SHA} ${A} refs/heads/x\0y\n`,
      ],
      /first line/,
    ],
    [
      "a second NUL in the capabilities",
      [`${ZERO_SHA} ${A} ${REF}\0${CAPS}\0x\n`],
      /0x00/,
    ],
    [
      "a non-ASCII byte in the ref",
      [
        Buffer.concat([
          Buffer.from(`${ZERO_SHA} ${A} refs/heads/\xff`, "latin1"),
          Buffer.from(`\0${CAPS}\n`),
        ]),
      ],
      /0xff/,
    ],
    [
      "a ref with ..",
      [`${ZERO_SHA} ${A} refs/heads/a..b\0${CAPS}\n`],
      /does not allow/,
    ],
    [
      "a ref ending in .lock",
      [`${ZERO_SHA} ${A} refs/heads/x.lock\0${CAPS}\n`],
      /does not allow/,
    ],
    ["a missing ref", [`${ZERO_SHA} ${A}\0${CAPS}\n`], /must be/],
    ["extra fields", [`${ZERO_SHA} ${A} ${REF} extra\0${CAPS}\n`], /must be/],
    [
      "a newline inside the line",
      [`${ZERO_SHA} ${A} ${REF}\nx\0${CAPS}\n`],
      /0x0a/,
    ],
  ])("refuses %s", (_name, lines, message) => {
    expect(() => parse(body(lines))).toThrow(message);
  });

  it.each<[string, string[], string[]]>([
    [
      "a second ref",
      [
        `${ZERO_SHA} ${A} ${REF}\0${CAPS}\n`,
        `${ZERO_SHA} ${A} refs/heads/other\n`,
      ],
      ["single-ref", "branch-only"],
    ],
    [
      "another branch",
      [`${ZERO_SHA} ${A} refs/heads/main\0${CAPS}\n`],
      ["branch-only"],
    ],
    [
      "a branch that only starts like the run's",
      [`${ZERO_SHA} ${A} ${REF}x\0${CAPS}\n`],
      ["branch-only"],
    ],
    ["a tag", [`${ZERO_SHA} ${A} refs/tags/v1\0${CAPS}\n`], ["branch-only"]],
    [
      "a note",
      [`${ZERO_SHA} ${A} refs/notes/commits\0${CAPS}\n`],
      ["branch-only"],
    ],
    [
      "a delete",
      [`${A} ${ZERO_SHA} ${REF}\0${CAPS} delete-refs\n`],
      ["no-delete"],
    ],
    [
      "push options",
      [`${ZERO_SHA} ${A} ${REF}\0${CAPS} push-options\n`],
      ["no-push-options"],
    ],
    [
      "a push certificate capability",
      [`${ZERO_SHA} ${A} ${REF}\0${CAPS} push-cert=123\n`],
      ["no-push-cert"],
    ],
    [
      "a push certificate",
      [`push-cert\0${CAPS}\n`, "certificate version 0.1\n"],
      ["no-push-cert"],
    ],
    [
      "an unexpected capability",
      [`${ZERO_SHA} ${A} ${REF}\0${CAPS} atomic funny\n`],
      ["offered-capabilities"],
    ],
    [
      "a shallow line",
      [`shallow ${B}\n`, `${ZERO_SHA} ${A} ${REF}\n`],
      ["no-shallow"],
    ],
  ])("rejects %s by rule", (_name, lines, expected) => {
    expect(rules(body(lines))).toEqual(expected);
  });

  it("refuses an oversized command section before reading it all", () => {
    const reader = new PktSectionReader({
      maxBytes: 64 * 1024,
      maxPackets: 32,
    });
    const line = `${ZERO_SHA} ${A} refs/heads/${"x".repeat(900)}`;
    const lines = Array.from({ length: 31 }, (_, i) =>
      encodePktLine(`${line}${i}\n`),
    );
    const raw = Buffer.concat([...lines, ...lines]);
    expect(() => reader.push(raw)).toThrow(/more than 32 lines|larger than/);
  });
});
