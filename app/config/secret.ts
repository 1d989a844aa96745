import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never reach a log line, a comment or a file. Every way of
 * turning it into text prints `[redacted]`; only `reveal()` gives the value,
 * so a leak needs an explicit call that a reviewer can see.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
