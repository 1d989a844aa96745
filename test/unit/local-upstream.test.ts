import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterEach, describe, expect, it } from "vitest";

import { ZERO_SHA } from "../../runner/door/git-command-list.ts";
import { createLocalUpstream } from "../../runner/upstream/local-upstream.ts";
import { GIT_ENV } from "../support/door-fixture.ts";

const run = promisify(execFile);
const REF = "refs/heads/agent/work";

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

async function commit(dir: string, file: string, text: string) {
  await writeFile(path.join(dir, file), text);
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", file]);
  return git(dir, ["rev-parse", "HEAD"]);
}

/** Runs `git` with `input` on stdin, as the door feeds index-pack. */
function pipeGit(cwd: string, args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, env: GIT_ENV });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]}: ${code}`)),
    );
    child.stdin.end(input);
  });
}

let root = "";
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/**
 * A base repository, its bare mirror, a work clone with one new commit on
 * top of main, and a quarantine holding that commit as the door holds a
 * push: a thin pack completed against the mirror it borrows from.
 */
async function setup() {
  root = await mkdtemp(path.join(os.tmpdir(), "local-upstream-"));
  const base = path.join(root, "base");
  await mkdir(base);
  await git(base, ["init", "-q", "-b", "main"]);
  const main = await commit(base, "a.txt", "one\n");
  const mirror = path.join(root, "mirror.git");
  await git(root, ["clone", "-q", "--bare", base, mirror]);
  const work = path.join(root, "work");
  await git(root, ["clone", "-q", mirror, work]);
  const tip = await commit(work, "b.txt", "two\n");

  const quarantine = path.join(root, "push.git");
  await git(root, ["init", "-q", "--bare", quarantine]);
  await writeFile(
    path.join(quarantine, "objects", "info", "alternates"),
    `${path.join(mirror, "objects")}\n`,
  );
  const { stdout: pack } = await run(
    "sh",
    [
      "-c",
      `printf '%s\\n^%s\\n' ${tip} ${main} | git pack-objects --revs --thin --stdout -q`,
    ],
    { cwd: work, env: GIT_ENV, encoding: "buffer" },
  );
  await pipeGit(
    quarantine,
    ["--git-dir=.", "index-pack", "--stdin", "--fix-thin"],
    pack,
  );
  const [packName = ""] = await readdir(
    path.join(quarantine, "objects", "pack"),
  );
  return { base, mirror, quarantine, main, tip, packName };
}

describe("createLocalUpstream", () => {
  it("installs the quarantine's pack and creates the branch", async () => {
    const s = await setup();
    const upstream = path.join(root, "upstream.git");
    await git(root, ["clone", "-q", "--bare", s.base, upstream]);

    const result = await createLocalUpstream(upstream).forward(s.quarantine, {
      ref: REF,
      oldSha: ZERO_SHA,
      newSha: s.tip,
    });

    expect(result).toEqual({ ok: true });
    expect(await git(upstream, ["rev-parse", REF])).toBe(s.tip);
    const packs = await readdir(path.join(upstream, "objects", "pack"));
    expect(packs).toContain(s.packName);
    expect(packs.filter((name) => name.startsWith("incoming"))).toEqual([]);
    await git(upstream, ["fsck", "--no-progress", "--connectivity-only"]);
  });

  it("reports a conflict when the branch moved, and leaves it alone", async () => {
    const s = await setup();
    const upstream = path.join(root, "upstream.git");
    await git(root, ["clone", "-q", "--bare", s.base, upstream]);
    await git(upstream, ["update-ref", REF, s.main]);

    const forward = createLocalUpstream(upstream).forward;
    const created = await forward(s.quarantine, {
      ref: REF,
      oldSha: ZERO_SHA,
      newSha: s.tip,
    });
    const stale = await forward(s.quarantine, {
      ref: REF,
      oldSha: s.tip,
      newSha: s.tip,
    });

    expect(created).toMatchObject({ ok: false, conflict: true });
    expect(stale).toMatchObject({ ok: false, conflict: true });
    expect(await git(upstream, ["rev-parse", REF])).toBe(s.main);
  });

  it("pushes what the upstream lacks when the mirror holds more than it", async () => {
    const s = await setup();
    const upstream = path.join(root, "empty.git");
    await git(root, ["init", "-q", "--bare", upstream]);

    const result = await createLocalUpstream(upstream).forward(s.quarantine, {
      ref: REF,
      oldSha: ZERO_SHA,
      newSha: s.tip,
    });

    expect(result).toEqual({ ok: true });
    expect(await git(upstream, ["rev-parse", REF])).toBe(s.tip);
    await git(upstream, ["fsck", "--no-progress", "--connectivity-only"]);
  });

  it("leaves a checked-out branch to git's own refusal", async () => {
    const s = await setup();
    await git(s.base, ["checkout", "-q", "-b", "agent/work"]);

    const result = await createLocalUpstream(s.base).forward(s.quarantine, {
      ref: REF,
      oldSha: s.main,
      newSha: s.tip,
    });

    expect(result).toMatchObject({ ok: false, conflict: false });
    expect(await git(s.base, ["rev-parse", REF])).toBe(s.main);
  });
});
