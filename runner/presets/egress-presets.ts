import { parseIpv6 } from "../door/egress-address.ts";
import { parsePort, quote } from "../door/egress-host.ts";
import { compileRule } from "../door/egress-rules.ts";
import type { EgressRule } from "../types.ts";

// Named groups of hosts a repository can allow in one word, and the reading
// of a policy's `network.allow` list (or `--allow-host` options) into rules.
// Every entry is checked; a bad one is reported by its position and value,
// never dropped or guessed at.

export const EGRESS_PRESETS = {
  npm: ["registry.npmjs.org"],
  pypi: ["pypi.org", "files.pythonhosted.org"],
  debian: ["deb.debian.org", "security.debian.org"],
  github: [
    "github.com",
    "api.github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
  ],
} as const satisfies Record<string, readonly string[]>;

export type EgressPresetName = keyof typeof EGRESS_PRESETS;

const PRESET_NAMES = Object.keys(EGRESS_PRESETS) as EgressPresetName[];

export function isEgressPreset(name: string): name is EgressPresetName {
  return Object.hasOwn(EGRESS_PRESETS, name);
}

export interface ExpandedAllow {
  rules: EgressRule[];
  /** One line per bad entry, naming it; empty when all are good. */
  errors: string[];
}

type EntryResult = { rules: EgressRule[] } | { error: string };

// `host`, `host:port`, `[v6]:port`, a bare IPv6 address, or a range with
// an optional port after its prefix (`10.0.0.0/8:5432`).
function parseEntryText(text: string): EntryResult {
  const trimmed = text.trim();
  if (isEgressPreset(trimmed)) {
    return { rules: EGRESS_PRESETS[trimmed].map((host) => ({ host })) };
  }
  if (parseIpv6(trimmed)) return { rules: [{ host: trimmed }] };

  const range = /^([^[\]]+\/[0-9]+)(?::([^:]*))?$/.exec(trimmed);
  const bracketed = /^(\[[^\]]*\])(?::([^:]*))?$/.exec(trimmed);
  const plain = /^([^:[\]]*)(?::([^:]*))?$/.exec(trimmed);
  const match = range ?? bracketed ?? plain;
  if (!match) {
    return {
      error: "write host, host:port, [IPv6]:port or a range such as 10.0.0.0/8",
    };
  }

  const host = match[1]!.replace(/^\[(.*)\]$/, "$1");
  const isName = !range && !bracketed && !/^[0-9.]+$/.test(host);
  if (isName && !host.includes(".")) {
    return {
      error: `not a preset (${PRESET_NAMES.join(", ")}) nor a fully qualified host name such as registry.example.com`,
    };
  }
  if (match[2] === undefined) return { rules: [{ host }] };
  const port = parsePort(match[2]);
  if (!port.ok) return { error: port.error };
  return { rules: [{ host, port: port.value }] };
}

function parseEntry(entry: unknown): EntryResult {
  if (typeof entry === "string") return parseEntryText(entry);
  if (entry !== null && typeof entry === "object") {
    const { host, port, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) {
      return { error: `unknown field(s) ${extra.join(", ")}; use host, port` };
    }
    if (typeof host !== "string") return { error: "host must be a string" };
    if (port !== undefined && typeof port !== "number") {
      return { error: "port must be a number" };
    }
    return { rules: [{ host, ...(port === undefined ? {} : { port }) }] };
  }
  return { error: "expected a preset, a host or { host, port }" };
}

/**
 * Expands a `network.allow` list into rules: presets become their hosts,
 * each host is validated the way the door will read it, duplicates go.
 * `label` names the list in messages (`network.allow`, `--allow-host`).
 */
export function expandEgressAllow(
  entries: readonly unknown[],
  label = "network.allow",
): ExpandedAllow {
  const rules: EgressRule[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const position = `${label}[${index}]`;
    const shown =
      typeof entry === "string" ? `${position} ${quote(entry)}` : position;
    const parsed = parseEntry(entry);
    if ("error" in parsed) {
      errors.push(`${shown}: ${parsed.error}`);
      continue;
    }
    for (const rule of parsed.rules) {
      const checked = compileRule(rule);
      if (!checked.ok) {
        errors.push(`${shown}: ${checked.error}`);
        continue;
      }
      const key = `${rule.host.toLowerCase()}:${rule.port ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return { rules, errors };
}
