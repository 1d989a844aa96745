import { StringDecoder } from "node:string_decoder";

import type { SecretScrubber } from "./scrub-secrets.ts";

// An agent can print without end. The run keeps its first and last part,
// which between them hold how it started and how it ended.
export const DEFAULT_HEAD_CHARS = 64 * 1024;
export const DEFAULT_TAIL_CHARS = 64 * 1024;

// Output is scrubbed a line at a time, so a line is held back until it ends;
// a line longer than this is let through in pieces, keeping a margin long
// enough that a token is not cut between two pieces.
const MAX_PENDING_CHARS = 8 * 1024;
const PENDING_MARGIN_CHARS = 1024;

export interface OutputCaptureOptions {
  scrubber: SecretScrubber;
  onOutput?: (text: string) => void;
  headChars?: number;
  tailChars?: number;
}

/** Collects a container's output: scrubbed, streamed on, head and tail kept. */
export class OutputCapture {
  private readonly decoder = new StringDecoder("utf8");
  private readonly options: Required<Omit<OutputCaptureOptions, "onOutput">>;
  private readonly onOutput: ((text: string) => void) | undefined;
  private pending = "";
  private head = "";
  private tail = "";
  private omitted = 0;
  bytes = 0;

  constructor(options: OutputCaptureOptions) {
    this.options = {
      scrubber: options.scrubber,
      headChars: options.headChars ?? DEFAULT_HEAD_CHARS,
      tailChars: options.tailChars ?? DEFAULT_TAIL_CHARS,
    };
    this.onOutput = options.onOutput;
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.pending += this.decoder.write(chunk);

    const lastBreak = this.pending.lastIndexOf("\n");
    if (lastBreak >= 0) {
      this.emit(this.pending.slice(0, lastBreak + 1));
      this.pending = this.pending.slice(lastBreak + 1);
    }
    if (this.pending.length > MAX_PENDING_CHARS) {
      const cut = this.pending.length - PENDING_MARGIN_CHARS;
      this.emit(this.pending.slice(0, cut));
      this.pending = this.pending.slice(cut);
    }
  }

  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== "") this.emit(this.pending);
    this.pending = "";
  }

  /** The stored output: all of it, or its head and tail around a marker. */
  text(): string {
    if (this.omitted === 0) return this.head + this.tail;
    const marker = `\n[... ${this.omitted} characters of output omitted ...]\n`;
    return this.head + marker + this.tail;
  }

  private emit(raw: string): void {
    const text = this.options.scrubber.scrub(raw);
    this.onOutput?.(text);
    this.store(text);
  }

  private store(text: string): void {
    const { headChars, tailChars } = this.options;
    const room = headChars - this.head.length;
    if (room > 0) {
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    this.tail += text;
    if (this.tail.length > tailChars) {
      const excess = this.tail.length - tailChars;
      this.omitted += excess;
      this.tail = this.tail.slice(excess);
    }
  }
}
