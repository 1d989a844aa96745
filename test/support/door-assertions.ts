import { expect, onTestFinished } from "vitest";

import type { RunSpec } from "../../runner/types.ts";
import {
  BRANCH,
  gitOk,
  openDoorFixture,
  runSpec,
  type DoorFixture,
} from "./door-fixture.ts";

// What the door's integration tests share: a fixture closed after each
// test, a push through it, and the check that a refused push changed
// nothing upstream.

export const REF = `refs/heads/${BRANCH}`;
export const ZERO = "0".repeat(40);

export async function setup(
  options: Parameters<typeof openDoorFixture>[0] = {},
): Promise<DoorFixture> {
  const fixture = await openDoorFixture(options);
  onTestFinished(() => fixture.close());
  return fixture;
}

export function push(
  f: DoorFixture,
  refspec = `HEAD:${REF}`,
  extra: string[] = [],
) {
  return f.push(["push", ...extra, f.remoteUrl, refspec]);
}

export async function upstreamState(f: DoorFixture): Promise<string> {
  return gitOk(f.upstreamDir, [
    "for-each-ref",
    "--format=%(refname) %(objectname)",
  ]);
}

/** Pushes that must fail: the client says why, and upstream is untouched. */
export async function expectRefused(
  f: DoorFixture,
  attempt: () => Promise<{ code: number; stderr: string }>,
  said: RegExp,
) {
  const before = await upstreamState(f);
  const forwards = f.forwards;
  const out = await attempt();
  expect(out.code).not.toBe(0);
  expect(out.stderr).toMatch(said);
  expect(await upstreamState(f)).toBe(before);
  expect(f.forwards).toBe(forwards);
  return out;
}

export function withPolicy(policy: Partial<RunSpec["pushPolicy"]>): RunSpec {
  const spec = runSpec();
  return { ...spec, pushPolicy: { ...spec.pushPolicy, ...policy } };
}
