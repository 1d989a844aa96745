import { effectiveAddress, formatIp, parseIp } from "./egress-address.ts";
import type { ParsedHost } from "./egress-host.ts";
import { internalRange } from "./egress-ranges.ts";
import {
  allowsPort,
  rulesForAddress,
  rulesForName,
  type CompiledRule,
} from "./egress-rules.ts";

// One egress decision: is this host and port allowed, and if so, which
// exact addresses may the door connect to. The addresses returned are the
// ones checked here; the caller connects to them and never resolves again,
// so a name cannot change its answer between check and use.

/** Resolves a host name to every address it has, as text. */
export type Resolve = (name: string) => Promise<string[]>;

export type Decision =
  | { allowed: true; addresses: string[]; reason: string }
  | { allowed: false; reason: string; remedy: string };

export function displayHost(host: ParsedHost): string {
  if (host.kind === "name") return host.name;
  const text = formatIp(host.address);
  return host.address.version === 6 ? `[${text}]` : text;
}

function remedyFor(entry: string, opening = "To allow it"): string {
  return `${opening}, add "${entry}" under network.allow in .github/agent-sandbox.yml, or pass --allow-host ${entry} on the command line.`;
}

export async function decideEgress(
  host: ParsedHost,
  port: number,
  rules: readonly CompiledRule[],
  resolve: Resolve,
): Promise<Decision> {
  const shown = displayHost(host);
  if (host.kind === "ip") return decideAddress(host, shown, port, rules);

  const named = rulesForName(rules, host.name);
  if (named.length === 0) {
    return {
      allowed: false,
      reason: `${shown} is not in network.allow`,
      remedy: remedyFor(port === 443 ? shown : `${shown}:${port}`),
    };
  }
  if (!allowsPort(named, port)) {
    const ports = [...new Set(named.flatMap((rule) => rule.ports))];
    return {
      allowed: false,
      reason: `port ${port} is not allowed for ${shown} (allowed: ${ports.join(", ")})`,
      remedy: remedyFor(`${shown}:${port}`),
    };
  }

  let answers: string[];
  try {
    answers = await resolve(host.name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = typeof code === "string" ? code : "lookup failed";
    return {
      allowed: false,
      reason: `${shown} did not resolve (${why})`,
      remedy: "Check the host name; the door resolves names for the sandbox.",
    };
  }
  if (answers.length === 0) {
    return {
      allowed: false,
      reason: `${shown} did not resolve (no addresses)`,
      remedy: "Check the host name; the door resolves names for the sandbox.",
    };
  }

  const addresses: string[] = [];
  for (const answer of answers) {
    const parsed = parseIp(answer);
    if (!parsed) {
      return {
        allowed: false,
        reason: `${shown} resolved to something that is not an address`,
        remedy: "Check the resolver the door uses.",
      };
    }
    const address = effectiveAddress(parsed);
    const text = formatIp(address);
    const range = internalRange(address);
    const opened = allowsPort(rulesForAddress(rules, address), port);
    if (range && !opened) {
      return {
        allowed: false,
        reason: `${shown} resolves to ${text}, a ${range} address; a name never reaches an internal address unless network.allow names that address or its range`,
        remedy: remedyFor(
          `${address.version === 6 ? `[${text}]` : text}:${port}`,
          `If ${shown} is meant to reach ${text}`,
        ),
      };
    }
    addresses.push(text);
  }
  return {
    allowed: true,
    addresses,
    reason: `${shown}:${port} is in network.allow`,
  };
}

function decideAddress(
  host: Extract<ParsedHost, { kind: "ip" }>,
  shown: string,
  port: number,
  rules: readonly CompiledRule[],
): Decision {
  const address = effectiveAddress(host.address);
  const text = formatIp(address);
  if (allowsPort(rulesForAddress(rules, address), port)) {
    return {
      allowed: true,
      addresses: [text],
      reason: `${shown}:${port} is in network.allow`,
    };
  }
  const range = internalRange(address);
  const entry = `${shown}:${port}`;
  return {
    allowed: false,
    reason: range
      ? `${shown} is a ${range} address and network.allow does not name it`
      : `${shown} is not in network.allow`,
    remedy: remedyFor(entry),
  };
}
