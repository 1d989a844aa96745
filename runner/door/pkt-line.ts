// Git's pkt-line framing: four hex digits giving the length of the packet
// including those four digits, then the payload; "0000" is a flush.
// https://git-scm.com/docs/gitprotocol-common#_pkt_line_format

/** The largest packet git writes or accepts, length digits included. */
export const MAX_PKT_LENGTH = 65_520;

const HEADER_LENGTH = 4;
const FLUSH = "0000";

// side-band-64k leaves one byte of each packet for the band number.
const MAX_SIDEBAND_PAYLOAD = MAX_PKT_LENGTH - HEADER_LENGTH - 1;

export const FLUSH_PKT = Buffer.from(FLUSH, "ascii");

/** The bands of side-band-64k: data, progress text, fatal error text. */
export const Band = { data: 1, progress: 2, error: 3 } as const;

/** Malformed protocol input; the message is safe to show to the client. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export function encodePktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const length = body.length + HEADER_LENGTH;
  if (length > MAX_PKT_LENGTH) {
    throw new RangeError(`pkt-line payload of ${body.length} bytes too long`);
  }
  const header = Buffer.from(length.toString(16).padStart(4, "0"), "ascii");
  return Buffer.concat([header, body]);
}

/** Wraps `data` into as many side-band packets as it takes. */
export function encodeSideBand(band: number, data: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_SIDEBAND_PAYLOAD) {
    const slice = data.subarray(at, at + MAX_SIDEBAND_PAYLOAD);
    packets.push(encodePktLine(Buffer.concat([Buffer.from([band]), slice])));
  }
  return packets;
}

export type Packet = { kind: "data"; payload: Buffer } | { kind: "flush" };

export interface SectionLimits {
  /** Bytes the section may take, framing included, before it is refused. */
  maxBytes: number;
  /** Packets the section may hold before it is refused. */
  maxPackets: number;
}

export type SectionProgress =
  { done: false } | { done: true; packets: Buffer[]; rest: Buffer };

/**
 * Reads one flush-terminated section of pkt-lines from a stream that arrives
 * in arbitrary chunks, keeping at most `maxBytes` of it in memory. Whatever
 * follows the flush (a pack, say) is handed back untouched as `rest`.
 */
export class PktSectionReader {
  private pending: Buffer = Buffer.alloc(0);
  private consumed = 0;
  private readonly packets: Buffer[] = [];
  private finished = false;

  constructor(private readonly limits: SectionLimits) {}

  push(chunk: Buffer): SectionProgress {
    if (this.finished) throw new Error("section already complete");
    this.pending =
      this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);

    for (;;) {
      if (this.pending.length < HEADER_LENGTH) break;
      const length = parseLength(this.pending.subarray(0, HEADER_LENGTH));
      if (length === 0) {
        this.finished = true;
        this.consume(HEADER_LENGTH);
        return { done: true, packets: this.packets, rest: this.pending };
      }
      if (length < HEADER_LENGTH + 1) {
        throw new ProtocolError(
          `pkt-line length ${length} is not allowed here (empty or special packet)`,
        );
      }
      if (this.consumed + length > this.limits.maxBytes) {
        throw new ProtocolError(
          `command section is larger than ${this.limits.maxBytes} bytes`,
        );
      }
      if (this.pending.length < length) break;
      if (this.packets.length >= this.limits.maxPackets) {
        throw new ProtocolError(
          `command section has more than ${this.limits.maxPackets} lines`,
        );
      }
      this.packets.push(
        Buffer.from(this.pending.subarray(HEADER_LENGTH, length)),
      );
      this.consume(length);
    }

    if (this.consumed + this.pending.length > this.limits.maxBytes) {
      throw new ProtocolError(
        `command section is larger than ${this.limits.maxBytes} bytes`,
      );
    }
    return { done: false };
  }

  /** Called at the end of the stream: a section without its flush is bad. */
  end(): never {
    throw new ProtocolError(
      this.pending.length === 0
        ? "request ended before the flush packet closing the command list"
        : "request ended inside a pkt-line (truncated length or payload)",
    );
  }

  private consume(bytes: number): void {
    this.pending = this.pending.subarray(bytes);
    this.consumed += bytes;
  }
}

function parseLength(header: Buffer): number {
  let length = 0;
  for (const byte of header) {
    const digit = hexDigit(byte);
    if (digit < 0) {
      throw new ProtocolError(
        `pkt-line length ${JSON.stringify(header.toString("latin1"))} is not four hex digits`,
      );
    }
    length = length * 16 + digit;
  }
  if (length > MAX_PKT_LENGTH) {
    throw new ProtocolError(
      `pkt-line length ${length} exceeds the maximum of ${MAX_PKT_LENGTH}`,
    );
  }
  return length;
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}
