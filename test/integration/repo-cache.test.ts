import { execFile } from "node:child_process";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  mirrorPath,
  resolveCommit,
  updateMirror,
} from "../../runner/workspace/repo-cache.ts";
import type { GitRemote } from "../../runner/types.ts";
import { settledCode } from "../support/error-code.ts";
import {
  scratchRepository,
  type ScratchRepository,
} from "../support/scratch-git.ts";

const run = promisify(execFile);
const log = pino({ level: "silent" });

let scratch: string;
let upstream: ScratchRepository;
let firstSha: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "repo-cache-"));
  upstream = await scratchRepository(path.join(scratch, "upstream"));
  firstSha = await upstream.commit({ "README.md": "hello\n", "src/a.ts": "1" });
  await upstream.git("tag", "-a", "v1", "-m", "first release");
  await upstream.git("branch", "feature/x");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const remote = (): GitRemote => ({ url: upstream.path, config: {} });

async function freshDataDir(): Promise<string> {
  return mkdtemp(path.join(scratch, "data-"));
}

async function mirrorGit(mirror: string, ...args: string[]): Promise<string> {
  return (await run("git", ["-C", mirror, ...args])).stdout.trim();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe("updateMirror", () => {
  it("creates a bare mirror with the upstream's branches, tags and default branch", async () => {
    const dataDir = await freshDataDir();

    const mirror = await updateMirror({
      dataDir,
      repository: "octo/hello",
      remote: remote(),
      log,
    });

    expect(mirror).toBe(mirrorPath(dataDir, "octo/hello"));
    expect(await mirrorGit(mirror, "rev-parse", "--is-bare-repository")).toBe(
      "true",
    );
    const refs = await mirrorGit(mirror, "for-each-ref", "--format=%(refname)");
    expect(refs.split("\n").sort()).toEqual([
      "refs/heads/feature/x",
      "refs/heads/main",
      "refs/tags/v1",
    ]);
    expect(await mirrorGit(mirror, "symbolic-ref", "HEAD")).toBe(
      "refs/heads/main",
    );
  });

  it("fetches only what is new when it updates", async () => {
    const dataDir = await freshDataDir();
    const options = { dataDir, repository: "octo/inc", remote: remote(), log };
    const mirror = await updateMirror(options);
    const packsBefore = await readdir(path.join(mirror, "objects", "pack"));
    const countBefore = await objectCount(mirror);

    const next = await upstream.commit({ "src/new.ts": "export {};\n" });
    await updateMirror(options);

    expect(await mirrorGit(mirror, "rev-parse", "refs/heads/main")).toBe(next);
    // The first pack is untouched and exactly the new commit, its tree,
    // the changed subtree and the new blob arrived.
    const packsAfter = await readdir(path.join(mirror, "objects", "pack"));
    expect(packsAfter).toEqual(expect.arrayContaining(packsBefore));
    expect((await objectCount(mirror)) - countBefore).toBe(4);
  });

  it("drops branches that were deleted upstream", async () => {
    const dataDir = await freshDataDir();
    await upstream.git("branch", "short-lived");
    const options = {
      dataDir,
      repository: "octo/prune",
      remote: remote(),
      log,
    };
    const mirror = await updateMirror(options);
    expect(await resolveCommit(mirror, "short-lived")).toMatch(
      /^[0-9a-f]{40}$/,
    );

    await upstream.git("branch", "-D", "short-lived");
    await updateMirror(options);

    expect(await settledCode(resolveCommit(mirror, "short-lived"))).toBe(
      "BASE_REF_NOT_FOUND",
    );
  });

  it("lets concurrent updates of one mirror all succeed, one at a time", async () => {
    const dataDir = await freshDataDir();
    const options = { dataDir, repository: "octo/race", remote: remote(), log };

    const mirrors = await Promise.all(
      [1, 2, 3, 4].map(() => updateMirror(options)),
    );

    expect(new Set(mirrors).size).toBe(1);
    const cache = await readdir(path.join(dataDir, "cache"));
    expect(cache.filter((entry) => entry.includes(".creating-"))).toEqual([]);
    expect(await mirrorGit(mirrors[0]!, "fsck", "--no-dangling")).toBe("");
  });

  it("leaves the mirror readable by the container's user under any umask", async () => {
    const dataDir = await freshDataDir();
    const previous = process.umask(0o077);
    let mirror: string;
    try {
      mirror = await updateMirror({
        dataDir,
        repository: "octo/umask",
        remote: remote(),
        log,
      });
    } finally {
      process.umask(previous);
    }

    const entries = await readdir(mirror, { recursive: true });
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of ["", ...entries]) {
      const info = await stat(path.join(mirror, entry));
      const wanted = info.isDirectory() ? 0o005 : 0o004;
      expect(info.mode & wanted, entry).toBe(wanted);
    }
  });

  it("never writes per-call credentials to disk", async () => {
    const dataDir = await freshDataDir();
    const secret = "ghs_credentialthatmustnotpersist";

    await updateMirror({
      dataDir,
      repository: "octo/secret",
      remote: {
        url: upstream.path,
        config: { "http.extraHeader": `Authorization: Bearer ${secret}` },
      },
      log,
    });

    for (const file of await filesUnder(dataDir)) {
      expect(await readFile(file, "latin1"), file).not.toContain(secret);
    }
  });

  it("runs no hook of the mirror while fetching", async () => {
    const dataDir = await freshDataDir();
    const options = {
      dataDir,
      repository: "octo/hooks",
      remote: remote(),
      log,
    };
    const mirror = await updateMirror(options);
    const marker = path.join(scratch, "hook-ran");
    const hook = path.join(mirror, "hooks", "reference-transaction");
    await mkdir(path.dirname(hook), { recursive: true });
    await writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`);
    await chmod(hook, 0o755);

    await upstream.commit({ "hooked.txt": "x" });
    await updateMirror(options);

    await expect(stat(marker)).rejects.toThrow();
  });

  it("keeps hostile repository names inside the cache folder", async () => {
    const root = await freshDataDir();
    const dataDir = path.join(root, "a", "data");
    const names = ["../../escape", "..", "/etc/x", "o/../../../up", ".git"];

    for (const repository of names) {
      await updateMirror({ dataDir, repository, remote: remote(), log });
    }

    expect(await readdir(root)).toEqual(["a"]);
    expect(await readdir(path.join(root, "a"))).toEqual(["data"]);
    expect(await readdir(dataDir)).toEqual(["cache"]);
    const mirrors = (await readdir(path.join(dataDir, "cache"))).filter(
      (entry) => entry.endsWith(".git"),
    );
    expect(mirrors).toHaveLength(names.length);
  });

  it("reports an unreachable upstream as MIRROR_UPDATE_FAILED and keeps no half mirror", async () => {
    const dataDir = await freshDataDir();
    const missing = { url: path.join(scratch, "nowhere"), config: {} };

    const code = await settledCode(
      updateMirror({ dataDir, repository: "octo/gone", remote: missing, log }),
    );

    expect(code).toBe("MIRROR_UPDATE_FAILED");
    const cache = await readdir(path.join(dataDir, "cache"));
    expect(cache.filter((entry) => entry.endsWith(".git"))).toEqual([]);
    expect(cache.filter((entry) => entry.includes(".creating-"))).toEqual([]);
  });
});

describe("resolveCommit", () => {
  let mirror: string;
  beforeAll(async () => {
    const dataDir = await freshDataDir();
    mirror = await updateMirror({
      dataDir,
      repository: "octo/resolve",
      remote: remote(),
      log,
    });
  });

  it("resolves branches, tags, full refs, HEAD and shas to commits", async () => {
    const main = await mirrorGit(mirror, "rev-parse", "refs/heads/main");

    expect(await resolveCommit(mirror, "main")).toBe(main);
    expect(await resolveCommit(mirror, "HEAD")).toBe(main);
    expect(await resolveCommit(mirror, "refs/heads/main")).toBe(main);
    expect(await resolveCommit(mirror, "feature/x")).toBe(firstSha);
    // An annotated tag resolves to the commit it tags, not the tag object.
    expect(await resolveCommit(mirror, "v1")).toBe(firstSha);
    expect(await resolveCommit(mirror, firstSha)).toBe(firstSha);
    expect(await resolveCommit(mirror, firstSha.slice(0, 10))).toBe(firstSha);
  });

  it.each([
    "no-such-branch",
    "refs/heads/nope",
    "0123456789abcdef0123456789abcdef01234567",
  ])("refuses %s with BASE_REF_NOT_FOUND", async (ref) => {
    expect(await settledCode(resolveCommit(mirror, ref))).toBe(
      "BASE_REF_NOT_FOUND",
    );
  });

  it("refuses a tree sha, which is not a commit", async () => {
    const tree = await mirrorGit(mirror, "rev-parse", "main^{tree}");
    expect(await settledCode(resolveCommit(mirror, tree))).toBe(
      "BASE_REF_NOT_FOUND",
    );
  });

  it("refuses option-like and malformed refs with BASE_REF_INVALID", async () => {
    expect(await settledCode(resolveCommit(mirror, "--all"))).toBe(
      "BASE_REF_INVALID",
    );
    expect(await settledCode(resolveCommit(mirror, "main~1"))).toBe(
      "BASE_REF_INVALID",
    );
  });
});

async function objectCount(mirror: string): Promise<number> {
  const out = await mirrorGit(mirror, "count-objects", "-v");
  const field = (name: string) =>
    Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(out)?.[1] ?? NaN);
  return field("count") + field("in-pack");
}
