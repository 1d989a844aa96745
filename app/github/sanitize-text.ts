// Text written on GitHub can carry content that a reader of the rendered page
// never sees: HTML comments, link reference definitions, zero-width and
// bidirectional control characters. Anything we hand to the agent is cleaned
// of it first, so the agent acts on what the humans around it could read.

// Zero width, bidirectional controls, word joiners, byte order marks, soft
// hyphen, tag characters and C0/C1 controls (tab and newline are kept).
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;

// An unterminated comment hides everything after it on GitHub.
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;

// `[label]: https://example.com "title"` renders as nothing at all.
const LINK_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[^\n]*$/gm;

// Elements that GitHub renders hidden or not at all.
const HIDDEN_ELEMENTS =
  /<(script|style|template|noscript)\b[\s\S]*?(?:<\/\1\s*>|$)|<[a-z][^>]*\shidden(?:[\s=>/][^>]*)?>[\s\S]*?(?:<\/[a-z]+\s*>|$)/gi;

export function stripHidden(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(HTML_COMMENT, "")
    .replace(HIDDEN_ELEMENTS, "")
    .replace(LINK_DEFINITION, "")
    .replace(INVISIBLE, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}
