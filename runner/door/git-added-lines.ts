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

/** The state machine over a patch stream; exported for its tests. */
export class PatchReader {
  private line: Buffer[] = [];
  private lineBytes = 0;
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
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline < 0) break;
      this.append(chunk.subarray(start, newline));
      this.finishLine();
      start = newline + 1;
    }
    this.append(chunk.subarray(start));
  }

  end(): void {
    if (this.lineBytes > 0) this.finishLine();
  }

  private append(piece: Buffer): void {
    if (piece.length === 0 || this.skipping) return;
    this.line.push(piece);
    this.lineBytes += piece.length;
    if (this.lineBytes <= PIECE_BYTES) return;
    if (!this.inAddedLine()) {
      this.skipping = true;
      return;
    }
    const text = Buffer.concat(this.line);
    this.visit(this.path, text.toString("utf8", this.partial ? 0 : 1));
    const tail = text.subarray(text.length - OVERLAP_BYTES);
    this.line = [tail];
    this.lineBytes = tail.length;
    this.partial = true;
  }

  private inAddedLine(): boolean {
    if (this.partial) return true;
    return this.newLeft > 0 && this.line[0]?.[0] === 0x2b;
  }

  private finishLine(): void {
    const text = Buffer.concat(this.line);
    const partial = this.partial;
    this.line = [];
    this.lineBytes = 0;
    this.partial = false;
    this.skipping = false;

    if (this.oldLeft > 0 || this.newLeft > 0) {
      this.hunkLine(text, partial);
      return;
    }
    const header = text.toString("utf8");
    const hunk = HUNK_HEADER.exec(header);
    if (hunk) {
      this.oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      this.newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      return;
    }
    if (header.startsWith("+++ ")) {
      this.path = header.startsWith("+++ b/")
        ? header.slice(6)
        : header.slice(4);
    }
  }

  private hunkLine(text: Buffer, partial: boolean): void {
    const first = partial ? 0x2b : text[0];
    if (first === 0x2b) {
      this.newLeft--;
      this.visit(this.path, text.toString("utf8", partial ? 0 : 1));
    } else if (first === 0x2d) {
      this.oldLeft--;
    } else if (first === 0x20) {
      this.oldLeft--;
      this.newLeft--;
    }
    // "\ No newline at end of file" and anything else changes no count.
  }
}
