// Agent output is stored and shown to people, so anything that looks like a
// credential is replaced before it leaves the runner. The patterns follow
// the published formats of the tokens a run could plausibly meet.

const REDACTED = "[redacted]";

const TOKEN_PATTERNS: RegExp[] = [
  // GitHub personal, OAuth, app installation, user-to-server, refresh tokens.
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  // Basic-auth user info in URLs and headers, as git writes it.
  /x-access-token:[^@\s"']+/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // Model provider keys.
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}/g,
];

// Patterns whose first group names the secret and is kept for context.
const LABELLED_PATTERNS: RegExp[] = [
  /\b((?:Bearer|Basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /(aws_secret_access_key\s*[=:]\s*)[A-Za-z0-9/+=]{40}/gi,
];

const KEY_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Scrubs text line by line. A private key block spans lines, so the scrubber
 * remembers whether it is inside one between calls.
 */
export class SecretScrubber {
  private readonly literals: string[];
  private inKeyBlock = false;

  /** `literals` are exact values to remove, such as the run's credential. */
  constructor(literals: string[]) {
    this.literals = literals
      .filter((value) => value.length >= 4)
      .flatMap((value) => [
        value,
        Buffer.from(value).toString("base64"),
        Buffer.from(`x-access-token:${value}`).toString("base64"),
      ]);
  }

  /** Scrubs whole lines; `text` must end at a line boundary or the end. */
  scrub(text: string): string {
    return text
      .split("\n")
      .map((line) => this.scrubLine(line))
      .join("\n");
  }

  private scrubLine(line: string): string {
    if (this.inKeyBlock) {
      if (!KEY_END.test(line)) return line === "" ? line : REDACTED;
      this.inKeyBlock = false;
      return REDACTED;
    }
    if (KEY_BEGIN.test(line)) {
      this.inKeyBlock = !KEY_END.test(line);
      return line.replace(/-----BEGIN[\s\S]*$/, REDACTED);
    }

    let clean = line;
    for (const literal of this.literals) {
      clean = clean.split(literal).join(REDACTED);
    }
    for (const pattern of TOKEN_PATTERNS) {
      clean = clean.replace(pattern, REDACTED);
    }
    for (const pattern of LABELLED_PATTERNS) {
      clean = clean.replace(pattern, `$1${REDACTED}`);
    }
    return clean;
  }
}
