// Helpers for putting text we do not control (agent output, file names,
// push reasons, host names) into Markdown that GitHub renders. Such text is
// hostile: it may try to mention people (@someone, @org/team), link issues
// (#123, owner/repo#1, GH-1), break out of a code block, inject HTML or
// images, or hide content with invisible characters. Mentions and links are
// inert inside code, so untrusted text goes into code spans and code blocks
// whose fences it cannot close.

// Invisible and direction-changing characters, and controls except newline
// and tab.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;

const ELLIPSIS = "…";

export function stripInvisible(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(INVISIBLE, "");
}

/**
 * A fenced code block that the content cannot close: the fence is one
 * backtick longer than the longest run of backticks inside.
 */
export function codeBlock(text: string): string {
  // Very long backtick runs are shortened so the fence stays short.
  const body = stripInvisible(text).replace(/`{10,}/g, "`".repeat(9));
  const longest = Math.max(
    0,
    ...Array.from(body.matchAll(/`+/g), (match) => match[0].length),
  );
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${body}\n${fence}`;
}

/**
 * One line of untrusted text as an inline code span: a single line, capped,
 * without backticks (which could end the span early).
 */
export function inlineCode(text: string, max = 200): string {
  const line = stripInvisible(text)
    .replace(/\s+/g, " ")
    .replace(/`/g, "'")
    .trim();
  const capped = line.length > max ? `${line.slice(0, max)}${ELLIPSIS}` : line;
  return capped === "" ? "` `" : `\`${capped}\``;
}

/**
 * Untrusted text shown as prose: markup characters escaped, and mentions
 * and issue references broken with a zero-width joiner so GitHub neither
 * notifies anyone nor links anything.
 */
export function plainText(text: string, max = 500): string {
  const line = stripInvisible(text).replace(/\s+/g, " ").trim();
  const capped = line.length > max ? `${line.slice(0, max)}${ELLIPSIS}` : line;
  return capped
    .replace(/[\\`*_{}[\]()<>+!|~]/g, (char) => `\\${char}`)
    .replace(/[@#]/g, (char) => `${char}\u2060`)
    .replace(/\b(GH)-(\d)/gi, "$1\u2060-$2");
}

/**
 * Cuts text to `max` characters, keeping its head and tail, which is where
 * a log's start and its final error are.
 */
export function headAndTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n${ELLIPSIS} ${text.length - max} characters cut ${ELLIPSIS}\n`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.floor(keep / 3);
  return `${text.slice(0, head)}${marker}${text.slice(text.length - (keep - head))}`;
}

/** Keeps the end of text within `max` characters. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${ELLIPSIS}${text.slice(text.length - max + 1)}`;
}
