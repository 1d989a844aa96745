import type { EgressPolicy, EgressRule } from "../types.ts";
import {
  cidrContains,
  effectiveAddress,
  formatCidr,
  parseCidr,
  type Cidr,
  type IpAddress,
} from "./egress-address.ts";
import { parseHost, quote, type Parsed } from "./egress-host.ts";

// Policy entries turned into matchers. A rule names a host (exactly), every
// subdomain of a host (`*.example.com`), or an address range in CIDR form
// (a single address is its own range). Only range rules can open internal
// addresses: that is the "named explicitly" in the egress guarantee.

/** Ports a rule allows when it names none (`EgressRule.port` omitted). */
export const DEFAULT_PORTS: readonly number[] = [443, 80];

export type CompiledRule =
  | { kind: "name"; name: string; ports: readonly number[] }
  | { kind: "subdomains"; suffix: string; ports: readonly number[] }
  | { kind: "range"; cidr: Cidr; ports: readonly number[] };

const MAX_PORT = 65535;

function fail(error: string): Parsed<CompiledRule> {
  return { ok: false, error };
}

export function compileRule(rule: EgressRule): Parsed<CompiledRule> {
  const { host, port } = rule;
  if (typeof host !== "string" || host.length === 0) {
    return fail("the host is missing");
  }
  if (
    port !== undefined &&
    (!Number.isInteger(port) || port < 1 || port > MAX_PORT)
  ) {
    return fail(`port ${quote(String(port))} is not from 1 to ${MAX_PORT}`);
  }
  const ports = port === undefined ? DEFAULT_PORTS : [port];

  if (host.includes("/")) {
    const bare = host.replace(/^\[(.*)\](\/.*)$/, "$1$2");
    const cidr = parseCidr(bare);
    if (!cidr) {
      return fail(
        `${quote(host)} is not an address range; write it as 10.0.0.0/8 or fd00::/8, with the bits below the prefix zero`,
      );
    }
    return { ok: true, value: { kind: "range", cidr, ports } };
  }

  if (host.startsWith("*.")) {
    const parent = parseHost(host.slice(2));
    if (!parent.ok) return parent;
    if (parent.value.kind !== "name" || !parent.value.name.includes(".")) {
      return fail(
        `${quote(host)} is too broad; a wildcard must stand before a domain with at least two labels, such as *.example.com`,
      );
    }
    const suffix = `.${parent.value.name}`;
    return { ok: true, value: { kind: "subdomains", suffix, ports } };
  }

  const parsed = parseHost(host, true);
  if (!parsed.ok) return parsed;
  if (parsed.value.kind === "ip") {
    const address = effectiveAddress(parsed.value.address);
    const prefix = address.version === 4 ? 32 : 128;
    return {
      ok: true,
      value: { kind: "range", cidr: { base: address, prefix }, ports },
    };
  }
  return { ok: true, value: { kind: "name", name: parsed.value.name, ports } };
}

/**
 * Compiles a whole policy, or throws one error listing every bad rule, so
 * that a mistake in policy is never silently narrowed or widened.
 */
export function compilePolicy(policy: EgressPolicy): CompiledRule[] {
  const compiled: CompiledRule[] = [];
  const problems: string[] = [];
  for (const [index, rule] of policy.allow.entries()) {
    const result = compileRule(rule);
    if (result.ok) compiled.push(result.value);
    else problems.push(`allow[${index}] ${quote(rule.host)}: ${result.error}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `The egress policy has ${problems.length} invalid rule(s):\n  ${problems.join("\n  ")}\nFix network.allow in .github/agent-sandbox.yml or the --allow-host options.`,
    );
  }
  return compiled;
}

export function describeRule(rule: CompiledRule): string {
  const target =
    rule.kind === "name"
      ? rule.name
      : rule.kind === "subdomains"
        ? `*${rule.suffix}`
        : formatCidr(rule.cidr);
  return `${target}:${rule.ports.join(",")}`;
}

/** Rules naming this host (exactly or as a subdomain), whatever the port. */
export function rulesForName(
  rules: readonly CompiledRule[],
  name: string,
): CompiledRule[] {
  return rules.filter(
    (rule) =>
      (rule.kind === "name" && rule.name === name) ||
      (rule.kind === "subdomains" && name.endsWith(rule.suffix)),
  );
}

/** Rules whose range holds this address (mapped forms judged as IPv4). */
export function rulesForAddress(
  rules: readonly CompiledRule[],
  address: IpAddress,
): CompiledRule[] {
  const effective = effectiveAddress(address);
  return rules.filter(
    (rule) =>
      rule.kind === "range" &&
      (cidrContains(rule.cidr, effective) || cidrContains(rule.cidr, address)),
  );
}

export function allowsPort(rules: readonly CompiledRule[], port: number) {
  return rules.some((rule) => rule.ports.includes(port));
}
