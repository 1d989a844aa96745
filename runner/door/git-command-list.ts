import { ProtocolError } from "./pkt-line.ts";

// The request half of git-receive-pack: one line per ref update, the first
// carrying the client's capabilities after a NUL byte.
// https://git-scm.com/docs/gitprotocol-pack#_reference_update_request_and_packfile_transfer

export const ZERO_SHA = "0".repeat(40);

const SHA_PATTERN = /^[0-9a-f]{40}$/;
// Printable ASCII without space and the characters git forbids in ref names;
// anything else is refused before it can reach a log line or a reply.
const REF_PATTERN = /^[!-~]+$/;
const FORBIDDEN_REF_PARTS =
  /[~^:?*[\\]|\.\.|@\{|\/\/|\/\.|^\.|^\/|\/$|\.lock$|\.$/;
const MAX_REF_LENGTH = 1024;

export interface RefCommand {
  oldSha: string;
  newSha: string;
  ref: string;
}

export interface CommandList {
  commands: RefCommand[];
  /** Capability names the client asked for, values stripped (`agent`). */
  capabilities: string[];
  /** `agent=...` value, kept for the audit trail. */
  agent: string | null;
  /** The client sent a push certificate instead of plain commands. */
  pushCert: boolean;
  /** `shallow` lines: the client's history is cut off at these commits. */
  shallow: string[];
}

/** Parses the packets of the command section; throws `ProtocolError`. */
export function parseCommandList(packets: readonly Buffer[]): CommandList {
  if (packets.length === 0) {
    throw new ProtocolError("the request holds no ref update");
  }
  const list: CommandList = {
    commands: [],
    capabilities: [],
    agent: null,
    pushCert: false,
    shallow: [],
  };
  const seen = new Set<string>();
  let capabilitiesRead = false;

  for (const packet of packets) {
    const line = chompNewline(packet);
    if (line.includes(0x0d)) {
      throw new ProtocolError("a command line contains a carriage return");
    }

    const nul = line.indexOf(0);
    let text = line;
    if (nul >= 0) {
      if (capabilitiesRead) {
        throw new ProtocolError("capabilities may only follow the first line");
      }
      readCapabilities(line.subarray(nul + 1), list);
      text = line.subarray(0, nul);
    }
    capabilitiesRead = true;
    const ascii = asciiText(text);

    if (ascii.startsWith("shallow ")) {
      list.shallow.push(readSha(ascii.slice("shallow ".length), "shallow"));
      continue;
    }
    if (ascii === "push-cert") {
      list.pushCert = true;
      // The certificate's own lines follow; nothing in them is acted on.
      break;
    }

    const command = readCommand(ascii);
    if (seen.has(command.ref)) {
      throw new ProtocolError(`ref ${command.ref} appears twice`);
    }
    seen.add(command.ref);
    list.commands.push(command);
  }

  if (list.commands.length === 0 && !list.pushCert) {
    throw new ProtocolError("the request holds no ref update");
  }
  return list;
}

function readCommand(text: string): RefCommand {
  const parts = text.split(" ");
  if (parts.length !== 3) {
    throw new ProtocolError(
      "a command line must be `<old-sha> <new-sha> <ref>`",
    );
  }
  const [oldSha = "", newSha = "", ref = ""] = parts;
  return {
    oldSha: readSha(oldSha, "old"),
    newSha: readSha(newSha, "new"),
    ref: readRef(ref),
  };
}

function readSha(value: string, what: string): string {
  if (!SHA_PATTERN.test(value)) {
    throw new ProtocolError(
      `the ${what} object id is not 40 lowercase hex digits`,
    );
  }
  return value;
}

function readRef(ref: string): string {
  if (ref.length === 0 || ref.length > MAX_REF_LENGTH) {
    throw new ProtocolError(
      `a ref name must be 1 to ${MAX_REF_LENGTH} characters`,
    );
  }
  if (!REF_PATTERN.test(ref) || FORBIDDEN_REF_PARTS.test(ref)) {
    throw new ProtocolError(
      "a ref name holds characters or sequences git does not allow",
    );
  }
  return ref;
}

function readCapabilities(raw: Buffer, list: CommandList): void {
  const text = asciiText(raw);
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const eq = word.indexOf("=");
    const name = eq < 0 ? word : word.slice(0, eq);
    if (name === "agent") list.agent = word.slice(eq + 1).slice(0, 100);
    if (!list.capabilities.includes(name)) list.capabilities.push(name);
  }
}

function chompNewline(packet: Buffer): Buffer {
  return packet[packet.length - 1] === 0x0a
    ? packet.subarray(0, packet.length - 1)
    : packet;
}

/** Everything in a command line is ASCII; other bytes are refused. */
function asciiText(bytes: Buffer): string {
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) {
      throw new ProtocolError(
        `a command line holds the byte 0x${byte.toString(16).padStart(2, "0")}, which is not printable ASCII`,
      );
    }
  }
  return bytes.toString("latin1");
}
