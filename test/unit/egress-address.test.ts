import { describe, expect, it } from "vitest";

import {
  formatIp,
  parseCidr,
  parseIp,
  parseIpv4,
} from "../../runner/door/egress-address.ts";
import { parseHost, splitHostPort } from "../../runner/door/egress-host.ts";
import { internalRange } from "../../runner/door/egress-ranges.ts";
import { compilePolicy, compileRule } from "../../runner/door/egress-rules.ts";

function range(text: string): string | undefined {
  const address = parseIp(text);
  if (!address) throw new Error(`test address ${text} does not parse`);
  return internalRange(address);
}

describe("IP parsing", () => {
  it("accepts only canonical dotted-decimal IPv4", () => {
    expect(parseIpv4("192.0.2.10")).toBeDefined();
    for (const text of ["127.1", "0x7f.0.0.1", "0177.0.0.1", "127.000.0.1"]) {
      expect(parseIpv4(text), text).toBeUndefined();
    }
    expect(parseIpv4("256.0.0.1")).toBeUndefined();
    expect(parseIpv4("2130706433")).toBeUndefined();
  });

  it("reads IPv6 forms to the same bytes and prints them canonically", () => {
    expect(formatIp(parseIp("0:0:0:0:0:0:0:1")!)).toBe("::1");
    expect(formatIp(parseIp("::ffff:127.0.0.1")!)).toBe("::ffff:7f00:1");
    expect(formatIp(parseIp("2001:db8:0:0:1:0:0:1")!)).toBe(
      "2001:db8::1:0:0:1",
    );
    expect(formatIp(parseIp("fd00:ec2::254")!)).toBe("fd00:ec2::254");
    expect(parseIp("fe80::1%eth0")).toBeUndefined();
    expect(parseIp("1::2::3")).toBeUndefined();
  });

  it("refuses CIDR ranges with host bits set", () => {
    expect(parseCidr("10.0.0.0/8")).toBeDefined();
    expect(parseCidr("10.1.2.3/8")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("fd00::/8")).toBeDefined();
  });
});

describe("internal ranges", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.20.30.40", "private (RFC 1918)"],
    ["172.31.255.255", "private (RFC 1918)"],
    ["192.168.1.1", "private (RFC 1918)"],
    ["100.64.0.1", "shared address space (CGNAT)"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved (including broadcast)"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fd00:ec2::254", "cloud metadata"],
    ["fc00::1", "unique local (ULA)"],
    ["fe80::1", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private (RFC 1918), embedded as 10.0.0.1"],
    ["2002:a00:1::", "private (RFC 1918), embedded as 10.0.0.1"],
  ])("%s is %s", (text, label) => {
    expect(range(text)).toBe(label);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "%s is public",
    (text) => {
      expect(range(text)).toBeUndefined();
    },
  );
});

describe("host syntax", () => {
  it.each([
    ["2130706433", "decimal"],
    ["0x7f.1", "hex"],
    ["127.1", "short"],
    ["0177.0.0.1", "octal"],
    ["example.0x10", "hex"],
  ])("refuses the numeric host %s", (text) => {
    const parsed = parseHost(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/four decimal numbers/);
  });

  it("refuses odd names and accepts ordinary ones", () => {
    expect(parseHost("Example.COM.")).toEqual({
      ok: true,
      value: { kind: "name", name: "example.com" },
    });
    for (const text of ["ex ample.com", "-a.com", "a..b", "é.com", "a_b%2e"]) {
      expect(parseHost(text).ok, text).toBe(false);
    }
    expect(parseHost(`${"a".repeat(64)}.com`).ok).toBe(false);
    expect(parseHost(`${"abc.".repeat(70)}com`).ok).toBe(false);
  });

  it("needs brackets around IPv6 in a target", () => {
    expect(splitHostPort("[::1]:443").ok).toBe(true);
    expect(splitHostPort("::1:443").ok).toBe(false);
    expect(splitHostPort("[::1%25lo]:443").ok).toBe(false);
  });

  it.each(["0", "65536", "99999999", "-1", "+80", "8o"])(
    "refuses the port %s",
    (port) => {
      expect(splitHostPort(`example.com:${port}`).ok).toBe(false);
    },
  );
});

describe("rules", () => {
  it("compiles names, wildcards, addresses and ranges", () => {
    const rules = compilePolicy({
      allow: [
        { host: "registry.npmjs.org" },
        { host: "*.example.com", port: 8443 },
        { host: "127.0.0.1", port: 8080 },
        { host: "10.0.0.0/8" },
        { host: "::1" },
      ],
    });
    expect(rules.map((rule) => rule.kind)).toEqual([
      "name",
      "subdomains",
      "range",
      "range",
      "range",
    ]);
  });

  it("lists every bad rule by position and value", () => {
    expect(() =>
      compilePolicy({
        allow: [
          { host: "*.com" },
          { host: "ok.example.com" },
          { host: "10.1.0.0/8" },
          { host: "a.example.com", port: 70000 },
        ],
      }),
    ).toThrow(
      /allow\[0\] "\*\.com".*too broad[\s\S]*allow\[2\] "10\.1\.0\.0\/8"[\s\S]*allow\[3\]/,
    );
  });

  it("refuses a decimal address written as a host", () => {
    const result = compileRule({ host: "2130706433" });
    expect(result.ok).toBe(false);
  });
});
