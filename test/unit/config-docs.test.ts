import { readFile } from "node:fs/promises";

import { describe, expect, it } from "vitest";

import { envSchema } from "../../app/config/env-schema.ts";
import { catalogue } from "../../app/errors/catalogue.ts";

const settings = Object.keys(envSchema.shape).sort();

async function readme(): Promise<string> {
  return readFile(new URL("../../README.md", import.meta.url), "utf8");
}

/** The first column of the README table that follows `heading`. */
function tableKeys(text: string, heading: string): string[] {
  const start = text.indexOf(heading);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const keys: string[] = [];
  for (const line of text.slice(start).split("\n").slice(1)) {
    if (line.startsWith("#")) break;
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|/.exec(line);
    if (match) keys.push(match[1]!);
  }
  return keys.sort();
}

describe("documentation kept in step with the code", () => {
  it("the README's configuration table lists exactly the schema's settings", async () => {
    expect(tableKeys(await readme(), "## Configuration")).toEqual(settings);
  });

  it(".env.example names exactly the schema's settings", async () => {
    const text = await readFile(
      new URL("../../.env.example", import.meta.url),
      "utf8",
    );
    const keys = [...text.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(keys.sort()).toEqual(settings);
  });

  it("the README's error table documents every catalogue code", async () => {
    const codes = Object.keys(catalogue).sort();
    expect(tableKeys(await readme(), "## Errors")).toEqual(codes);
  });
});
