import { rangeArgs, type PushedRange } from "./git-inspect.ts";
import { spawnGit } from "./git-process.ts";

// Lines longer than this are scanned in overlapping pieces instead of being
// held whole: a pushed file can be one enormous line.
const PIECE_BYTES = 64 * 1024;
// Overlap between pieces, longer than any pattern we look for, so a match
// that straddles two pieces is still seen whole in one of them.
const OVERLAP_BYTES = 1024;

const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

/** Called with the file and the text of (a piece of) each added line. */
export type AddedLineVisitor = (path: string, text: string) => void;

/**
 * Streams `git log -p` over the pushed range and hands every added line to
 * `visit`, never holding more than one piece of one line in memory. Hunks
 * are followed by their line counts, so an added line that happens to read
 * like a diff header ("+++ b/x") is still an added line.
 */
export function scanAddedLines(
  range: PushedRange,
  visit: AddedLineVisitor,
): Promise<void> {
  const child = spawnGit(
    [
      "log",
      "-p",
      "-U0",
      "--text",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      "--no-renames",
      "--diff-merges=first-parent",
      "--format=%x00%H",
      ...rangeArgs(range),
    ],
    { gitDir: range.gitDir },
  );
  child.stdin.end();
  const reader = new PatchReader(visit);
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => reader.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      reader.end();
      if (code === 0) resolve();
      else reject(new Error(`git log -p failed in quarantine: ${stderr}`));
    });
  });
}

/**
 * The state machine over a patch stream; exported for its tests. Text is
 * handled as latin1 (one byte, one character): cheap to slice, and every
 * pattern we look for is ASCII.
 */
export class PatchReader {
  private line = "";
  private path = "";
  private oldLeft = 0;
  private newLeft = 0;
  // Whether the line being read is an added line that was already scanned
  // in part (then only its remainder, with overlap, is scanned at its end).
  private partial = false;
  // Whether the rest of the line is dropped: only its start matters (a
  // removed line, or a header too long to be a real one).
  private skipping = false;

  constructor(private readonly visit: AddedLineVisitor) {}

  push(chunk: Buffer): void {
    const text = chunk.toString("latin1");
    let start = 0;
    for (;;) {
      const newline = text.indexOf("\n", start);
      if (newline < 0) break;
      this.append(text, start, newline);
      this.finishLine();
      start = newline + 1;
    }
    this.append(text, start, text.length);
  }

  end(): void {
    if (this.line.length > 0 || this.partial) this.finishLine();
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from || this.skipping) return;
    this.line =
      this.line.length === 0 && from === 0 && to === text.length
        ? text
        : this.line + text.slice(from, to);
    if (this.line.length <= PIECE_BYTES) return;
    if (!this.inAddedLine()) {
      this.line = this.line.slice(0, PIECE_BYTES);
      this.skipping = true;
      return;
    }
    this.visit(this.path, this.partial ? this.line : this.line.slice(1));
    this.line = this.line.slice(-OVERLAP_BYTES);
    this.partial = true;
  }

  private inAddedLine(): boolean {
    return this.partial || (this.newLeft > 0 && this.line[0] === "+");
  }

  private finishLine(): void {
    const line = this.line;
    const partial = this.partial;
    this.line = "";
    this.partial = false;
    this.skipping = false;

    if (this.oldLeft > 0 || this.newLeft > 0) {
      this.hunkLine(line, partial);
      return;
    }
    const hunk = HUNK_HEADER.exec(line);
    if (hunk) {
      this.oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      this.newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      return;
    }
    if (line.startsWith("+++ ")) {
      const raw = line.startsWith("+++ b/") ? line.slice(6) : line.slice(4);
      this.path = Buffer.from(raw, "latin1").toString("utf8");
    }
  }

  private hunkLine(line: string, partial: boolean): void {
    const first = partial ? "+" : line[0];
    if (first === "+") {
      this.newLeft--;
      this.visit(this.path, partial ? line : line.slice(1));
    } else if (first === "-") {
      this.oldLeft--;
    } else if (first === " ") {
      this.oldLeft--;
      this.newLeft--;
    }
    // "\ No newline at end of file" and anything else changes no count.
  }
}
