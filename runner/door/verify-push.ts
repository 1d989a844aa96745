import picomatch from "picomatch";

import type { PushPolicy } from "../types.ts";
import { ZERO_SHA, type CommandList } from "./git-command-list.ts";
import { scanAddedLines } from "./git-added-lines.ts";
import {
  blobSizes,
  isAncestor,
  objectType,
  type FileChange,
  type PushedRange,
  type RangeListing,
} from "./git-inspect.ts";
import { CREDENTIAL_PATTERN } from "./run-credential.ts";

// The push rules, one named check each. Command checks judge the command
// list alone, before a byte of the pack is stored; object checks judge the
// received objects in the quarantine. A push is forwarded only when every
// check passes; each failing check becomes one line the client prints.

export interface Violation {
  rule: string;
  message: string;
}

/** What the door advertises; a client asking for anything else is refused. */
export const OFFERED_CAPABILITIES = [
  "report-status",
  "side-band-64k",
  "quiet",
  "ofs-delta",
  "delete-refs",
  "object-format",
  "agent",
];

export interface CommandContext {
  list: CommandList;
  /** The run's branch, without `refs/heads/`. */
  branch: string;
}

interface CommandCheck {
  name: string;
  check(ctx: CommandContext): string | null;
}

export const commandChecks: CommandCheck[] = [
  {
    name: "no-push-options",
    check: ({ list }) =>
      list.capabilities.includes("push-options")
        ? "push options are not accepted; push without -o/--push-option"
        : null,
  },
  {
    name: "no-push-cert",
    check: ({ list }) =>
      list.pushCert || list.capabilities.includes("push-cert")
        ? "signed pushes (push certificates) are not accepted; push without --signed"
        : null,
  },
  {
    name: "offered-capabilities",
    check: ({ list }) => {
      const known = [...OFFERED_CAPABILITIES, "push-options", "push-cert"];
      const odd = list.capabilities.filter((c) => !known.includes(c));
      return odd.length > 0
        ? `capabilities not offered by the door were requested: ${odd.slice(0, 5).join(", ")}`
        : null;
    },
  },
  {
    name: "no-shallow",
    check: ({ list }) =>
      list.shallow.length > 0
        ? "pushes from a shallow clone are not accepted; fetch the full history first"
        : null,
  },
  {
    name: "single-ref",
    check: ({ list }) =>
      list.commands.length > 1
        ? `a push may update exactly one ref; this one updates ${list.commands.length}`
        : null,
  },
  {
    name: "branch-only",
    check: ({ list, branch }) => {
      const allowed = `refs/heads/${branch}`;
      const other = list.commands.find((c) => c.ref !== allowed);
      if (!other) return null;
      const kind = other.ref.startsWith("refs/tags/") ? "tag" : "ref";
      return `${kind} ${other.ref} may not be pushed; this run may push only ${allowed}`;
    },
  },
  {
    name: "no-delete",
    check: ({ list }) => {
      const deletion = list.commands.find((c) => c.newSha === ZERO_SHA);
      return deletion ? `deleting ${deletion.ref} is not allowed` : null;
    },
  },
];

export function verifyCommands(ctx: CommandContext): Violation[] {
  return collect(commandChecks.map((c) => [c.name, c.check(ctx)] as const));
}

export interface ObjectContext {
  range: PushedRange;
  policy: PushPolicy;
  /** The range's commits (at most `policy.maxCommits + 1`) and changes;
   * a promise, so checks that do not need it start without waiting. */
  listing: Promise<RangeListing>;
}

interface ObjectCheck {
  name: string;
  check(ctx: ObjectContext): Promise<string | null>;
}

export const objectChecks: ObjectCheck[] = [
  {
    name: "create-or-fast-forward",
    async check({ range }) {
      // A create needs no check here: the forward is a compare-and-swap
      // that fails if the branch exists upstream by then.
      if (range.oldSha === ZERO_SHA) return null;
      const ancestor = await isAncestor(
        range.gitDir,
        range.oldSha,
        range.newSha,
      );
      if (ancestor === true) return null;
      if (ancestor === null) {
        return `the branch's current commit ${short(range.oldSha)} is unknown here; fetch and push again`;
      }
      return `not a fast-forward of ${short(range.oldSha)}; force pushes are not allowed, push commits on top of the branch instead`;
    },
  },
  {
    name: "commit-limit",
    check: async ({ listing, policy }) =>
      (await listing).commits.length > policy.maxCommits
        ? `the push adds more than ${policy.maxCommits} commits (pushPolicy.maxCommits)`
        : null,
  },
  {
    name: "protected-paths",
    check: async ({ listing, policy }) => {
      const { changes } = await listing;
      const touched = protectedTouches(changes, policy.protectedPaths);
      if (touched.length === 0) return null;
      const first = touched[0] as FileChange;
      const more = touched.length > 1 ? ` and ${touched.length - 1} more` : "";
      return `commit ${short(first.commit)} touches protected path ${display(first.path)}${more} (pushPolicy.protectedPaths)`;
    },
  },
  {
    name: "file-size",
    async check({ range, listing, policy }) {
      const { changes } = await listing;
      const blobs = [...new Set(changes.map((c) => c.blob))].filter(
        (b) => b !== ZERO_SHA,
      );
      const sizes = await blobSizes(range.gitDir, blobs);
      const big = changes.find(
        (c) => (sizes.get(c.blob) ?? 0) > policy.maxFileBytes,
      );
      if (!big) return null;
      return `file ${display(big.path)} is ${sizes.get(big.blob)} bytes, over the limit of ${policy.maxFileBytes} (pushPolicy.maxFileBytes)`;
    },
  },
  {
    name: "secrets",
    async check({ range }) {
      const found = new Map<string, string>();
      await scanAddedLines(range, (path, text) => {
        if (!ANY_SECRET.test(text)) return;
        for (const pattern of SECRET_PATTERNS) {
          if (!found.has(pattern.kind) && pattern.regex.test(text)) {
            found.set(pattern.kind, path);
          }
        }
      });
      if (found.size === 0) return null;
      const list = [...found].map(
        ([kind, path]) => `${kind} in ${display(path)}`,
      );
      return `added lines look like credentials (${list.join(", ")}); remove them from every commit of the push`;
    },
  },
];

/** The new commit must be a commit; without that nothing else is judged. */
export async function verifyTip(range: PushedRange): Promise<Violation[]> {
  const type = await objectType(range.gitDir, range.newSha);
  if (type === "commit") return [];
  const what = type === null ? "not in the pushed pack" : `a ${type}`;
  return [
    {
      rule: "new-is-commit",
      message: `${short(range.newSha)} is ${what}, not a commit`,
    },
  ];
}

export async function verifyObjects(ctx: ObjectContext): Promise<Violation[]> {
  const results = await Promise.all(
    objectChecks.map(async (c) => [c.name, await c.check(ctx)] as const),
  );
  return collect(results);
}

export function packSizeViolation(limit: number): Violation {
  return {
    rule: "pack-size",
    message: `the pushed pack is larger than ${limit} bytes (pushPolicy.maxPackBytes)`,
  };
}

// Each names what it found, never the match itself: a rejection message is
// shown, logged and audited, and must not carry the secret further.
export const SECRET_PATTERNS: { kind: string; regex: RegExp }[] = [
  { kind: "a GitHub token", regex: /gh[pousr]_[A-Za-z0-9]{36,}/ },
  { kind: "a GitHub token", regex: /github_pat_[A-Za-z0-9_]{22,}/ },
  {
    kind: "a private key",
    regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/,
  },
  { kind: "an AWS access key id", regex: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: "a Slack token", regex: /xox[abposr]-[0-9A-Za-z-]{10,}/ },
  { kind: "a Google API key", regex: /AIza[0-9A-Za-z_-]{35}/ },
  { kind: "the run's door credential", regex: CREDENTIAL_PATTERN },
];

// One pass over most lines instead of one per pattern; a line that matches
// is then tested pattern by pattern to name what it holds.
const ANY_SECRET = new RegExp(
  SECRET_PATTERNS.map((p) => p.regex.source).join("|"),
);

/** Changes to a protected path, or to a file standing where a protected
 * directory would be (a symlink named `.github`, say). */
function protectedTouches(
  changes: FileChange[],
  globs: string[],
): FileChange[] {
  if (globs.length === 0) return [];
  const options = { dot: true, nocase: true };
  const matches = picomatch(globs, options);
  const bases = globs
    .map((glob) => picomatch.scan(glob).base.toLowerCase())
    .filter(Boolean);
  return changes.filter((change) => {
    const path = change.path.toLowerCase();
    return (
      matches(change.path) ||
      bases.some((base) => base === path || base.startsWith(`${path}/`))
    );
  });
}

function collect(
  results: readonly (readonly [string, string | null])[],
): Violation[] {
  return results
    .filter((r): r is readonly [string, string] => r[1] !== null)
    .map(([rule, message]) => ({ rule, message }));
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** A hostile file name made safe to print on one line. */
function display(path: string): string {
  const clean = path.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}
