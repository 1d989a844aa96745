import { describe, expect, it } from "vitest";

import {
  EGRESS_PRESETS,
  expandEgressAllow,
} from "../../runner/presets/egress-presets.ts";

describe("expandEgressAllow", () => {
  it("expands presets to their hosts and keeps plain entries", () => {
    const { rules, errors } = expandEgressAllow([
      "npm",
      "pypi",
      "mirror.example.com:8443",
      { host: "10.0.0.0/8", port: 5432 },
      "[2001:db8::1]:443",
      "192.0.2.0/24:8080",
      "::1",
      "*.example.org",
    ]);
    expect(errors).toEqual([]);
    expect(rules).toEqual([
      { host: "registry.npmjs.org" },
      { host: "pypi.org" },
      { host: "files.pythonhosted.org" },
      { host: "mirror.example.com", port: 8443 },
      { host: "10.0.0.0/8", port: 5432 },
      { host: "2001:db8::1", port: 443 },
      { host: "192.0.2.0/24", port: 8080 },
      { host: "::1" },
      { host: "*.example.org" },
    ]);
  });

  it("holds the hosts each preset promises", () => {
    expect(EGRESS_PRESETS.debian).toContain("security.debian.org");
    expect(EGRESS_PRESETS.github).toEqual(
      expect.arrayContaining(["github.com", "objects.githubusercontent.com"]),
    );
    const all = Object.keys(EGRESS_PRESETS);
    expect(expandEgressAllow(all).errors).toEqual([]);
  });

  it("drops duplicates", () => {
    const { rules } = expandEgressAllow(["github", "github.com", "GitHub.com"]);
    expect(rules.filter((rule) => rule.host === "github.com")).toHaveLength(1);
  });

  it("names every bad entry with its position and what is wrong", () => {
    const { rules, errors } = expandEgressAllow(
      [
        "pipy",
        "example.com:99999",
        "2130706433",
        { host: "a.example.com", port: "80" },
        { host: "a.example.com", ports: [80] },
        "10.1.2.3/8",
        42,
        "good.example.com",
        "a:b:c",
      ],
      "--allow-host",
    );
    expect(rules).toEqual([{ host: "good.example.com" }]);
    expect(errors).toHaveLength(8);
    expect(errors[0]).toMatch(
      /^--allow-host\[0\] "pipy": not a preset \(npm, pypi, debian, github\)/,
    );
    expect(errors[1]).toMatch(
      /^--allow-host\[1\] "example.com:99999": port 99999 is out of range/,
    );
    expect(errors[2]).toMatch(/four decimal numbers/);
    expect(errors[3]).toBe("--allow-host[3]: port must be a number");
    expect(errors[4]).toMatch(/unknown field\(s\) ports/);
    expect(errors[5]).toMatch(/bits below the prefix zero/);
    expect(errors[6]).toMatch(/expected a preset, a host/);
    expect(errors[7]).toMatch(/^--allow-host\[8\] "a:b:c"/);
  });
});
