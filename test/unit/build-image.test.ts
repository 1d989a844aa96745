import { describe, expect, it } from "vitest";

import { runnerImageTag } from "../../runner/image/build-image.ts";
import { bundleEntrypoint } from "../../runner/image/bundle-entrypoint.ts";

describe("runnerImageTag", () => {
  const dockerfile = Buffer.from("FROM ${BASE_IMAGE}\n");
  const bundle = Buffer.from("console.log(1)\n");

  it("is stable for the same inputs and changes with each of them", () => {
    const tag = runnerImageTag(dockerfile, bundle, "debian:bookworm-slim");
    expect(tag).toMatch(/^agent-sandbox-runner:[0-9a-f]{16}$/);
    expect(runnerImageTag(dockerfile, bundle, "debian:bookworm-slim")).toBe(
      tag,
    );
    const others = [
      runnerImageTag(Buffer.from("FROM x\n"), bundle, "debian:bookworm-slim"),
      runnerImageTag(dockerfile, Buffer.from("x"), "debian:bookworm-slim"),
      runnerImageTag(dockerfile, bundle, "debian:bookworm"),
    ];
    for (const other of others) expect(other).not.toBe(tag);
  });

  it("does not confuse where one input ends and the next begins", () => {
    const a = runnerImageTag(Buffer.from("ab"), Buffer.from("c"), "d");
    const b = runnerImageTag(Buffer.from("a"), Buffer.from("bc"), "d");
    expect(a).not.toBe(b);
  });
});

describe("bundleEntrypoint", () => {
  it("bundles the entrypoint into one deterministic module for the image's Node.js", async () => {
    const first = await bundleEntrypoint();
    const second = await bundleEntrypoint();
    expect(first.equals(second)).toBe(true);
    const text = first.toString();
    // Only Node's own modules may be imported: the image has no node_modules.
    const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const name of imports) expect(name).toMatch(/^node:/);
    expect(text).toContain("/run/agent-sandbox/door.sock");
  });
});
