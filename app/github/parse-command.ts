import { hasInvisible, stripHidden } from "./sanitize-text.ts";

// Reads an `/agent` command from a comment. Only the comment's first line
// counts, and only when it is plain text: a command quoted, fenced, indented
// into a code block, wrapped in inline code or hidden in an HTML comment is
// somebody talking about the command, not giving it.

export type AgentCommand =
  | { kind: "fix"; text: string; details: string }
  | { kind: "cancel" }
  | { kind: "status" }
  | { kind: "help" };

export type ParsedComment =
  | { type: "none" }
  | { type: "command"; command: AgentCommand }
  | { type: "malformed"; problem: string };

const PREFIX = "/agent";

// A longer first line is almost certainly pasted text, not an instruction.
export const MAX_COMMAND_TEXT = 500;

// Details below the first line are capped so that one comment cannot flood
// the task; the issue itself carries the rest.
export const MAX_DETAILS = 8_000;

// Markdown treats four or more leading spaces (or a tab) as a code block.
const CODE_INDENT = /^(?: {4}|\t| {0,3}\t)/;

const NONE: ParsedComment = { type: "none" };

export function parseCommand(body: string | null | undefined): ParsedComment {
  if (typeof body !== "string" || body.length === 0) return NONE;

  const newline = body.search(/\r\n|\n|\r/);
  const first = newline === -1 ? body : body.slice(0, newline);
  const rest = newline === -1 ? "" : body.slice(newline).replace(/^\r?\n/, "");
  if (CODE_INDENT.test(first)) return NONE;

  // Only ASCII spaces: a byte order mark or zero-width character in front
  // hides the command from a reader, so it is not a command.
  const line = first.replace(/^ +/, "").replace(/[ \t]+$/, "");
  if (!line.startsWith(PREFIX)) return NONE;
  const after = line.slice(PREFIX.length);
  // `/agents`, `/agent-x`, `/agent_fix` are other words, not our command.
  if (after !== "" && !/^\s/.test(after)) return NONE;

  return parseArguments(after.trim(), rest);
}

function parseArguments(args: string, rest: string): ParsedComment {
  if (args === "") {
    return malformed("`/agent` needs a command after it.");
  }
  if (hasInvisible(args)) {
    return malformed("the command line holds invisible or control characters.");
  }

  const [word = "", ...words] = args.split(/\s+/);
  const verb = word.toLowerCase();
  const raw = words.join(" ");

  if (verb === "fix") {
    if (raw.length > MAX_COMMAND_TEXT) {
      return malformed(
        `the text after \`/agent fix\` is longer than ${MAX_COMMAND_TEXT} characters; put the details on the following lines.`,
      );
    }
    return {
      type: "command",
      command: {
        kind: "fix",
        text: stripHidden(raw),
        details: stripHidden(rest).slice(0, MAX_DETAILS),
      },
    };
  }
  if (verb === "cancel" || verb === "status" || verb === "help") {
    if (stripHidden(raw) !== "") {
      return malformed(`\`/agent ${verb}\` takes no arguments.`);
    }
    return { type: "command", command: { kind: verb } };
  }
  return malformed("that is not a command I know.");
}

function malformed(problem: string): ParsedComment {
  return { type: "malformed", problem };
}

/** The short reply to `/agent help` and to anything malformed. */
export function helpText(problem?: string): string {
  const lead = problem ? `I could not read that: ${problem}\n\n` : "";
  return [
    `${lead}Commands (on the first line of a new comment):`,
    "",
    "- `/agent fix [what to do]`: start a sandboxed run on this issue or pull request; more detail may follow on the next lines.",
    "- `/agent cancel`: stop the run in progress here.",
    "- `/agent status`: show the state of the latest run here.",
    "- `/agent help`: show this message.",
  ].join("\n");
}
