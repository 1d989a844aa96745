import { parseDocument } from "yaml";

import { policyFileSchema, type PolicyFile } from "./policy-schema.ts";

// A policy is a few dozen lines; anything far larger is a mistake or an
// attempt to make the parser work hard.
export const MAX_POLICY_BYTES = 64 * 1024;

// YAML aliases can expand a small file into a huge value ("billion laughs").
const MAX_ALIAS_COUNT = 50;

export type ParsedPolicy =
  { ok: true; policy: PolicyFile } | { ok: false; problems: string[] };

/**
 * Parses one `.github/agent-sandbox.yml`. Every problem is returned, each
 * naming the file and the key, so one round of fixes is enough.
 */
export function parsePolicyFile(text: string, source: string): ParsedPolicy {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) {
    return fail(`${source}: larger than ${MAX_POLICY_BYTES} bytes`);
  }

  const document = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map(
        (error) => `${source}: not valid YAML: ${firstLine(error.message)}`,
      ),
    };
  }

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return fail(`${source}: ${firstLine((err as Error).message)}`);
  }
  // An empty file means "no settings here", not an error.
  if (value === null || value === undefined) return { ok: true, policy: {} };
  if (typeof value !== "object" || Array.isArray(value)) {
    return fail(`${source}: expected a mapping of settings at the top level`);
  }

  const parsed = policyFileSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const where = issue.path.length ? issue.path.join(".") : "(top level)";
        const keys =
          issue.code === "unrecognized_keys"
            ? `unknown setting ${issue.keys.map((k) => `\`${k}\``).join(", ")}`
            : issue.message;
        return `${source}: ${where}: ${keys}`;
      }),
    };
  }
  return { ok: true, policy: parsed.data };
}

function fail(problem: string): ParsedPolicy {
  return { ok: false, problems: [problem] };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
