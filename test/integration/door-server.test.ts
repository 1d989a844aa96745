import { randomBytes } from "node:crypto";

import { describe, expect, it } from "vitest";

import {
  expectRefused,
  push,
  REF,
  setup,
  upstreamState,
  withPolicy,
  ZERO,
} from "../support/door-assertions.ts";
import { gitOk, upstreamRef, writeAndCommit } from "../support/door-fixture.ts";

describe("the door's git gateway, driven by the real git client", () => {
  it("accepts a first push that creates the run's branch", async () => {
    const f = await setup();
    const sha = await writeAndCommit(
      f.workDir,
      { "fix.txt": "fixed\n" },
      "fix",
    );

    const out = await push(f);

    expect(out.code, out.stderr).toBe(0);
    expect(await upstreamRef(f, REF)).toBe(sha);
    expect(f.door.pushes()).toEqual([
      {
        ref: REF,
        oldSha: ZERO,
        newSha: sha,
        accepted: true,
        reasons: [],
        filesChanged: ["fix.txt"],
        commits: 1,
      },
    ]);
    expect(f.events.map((e) => e.kind)).toEqual([
      "push_received",
      "push_accepted",
    ]);
    // Only the run's branch appeared upstream; main stayed where it was.
    expect((await upstreamState(f)).split("\n")).toHaveLength(2);
  });

  it("accepts a second, fast-forward push built on the first", async () => {
    const f = await setup();
    const first = await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    expect((await push(f)).code).toBe(0);
    await writeAndCommit(f.workDir, { "b.txt": "2\n" }, "two");
    const second = await writeAndCommit(f.workDir, { "c.txt": "3\n" }, "three");

    const out = await push(f);

    expect(out.code, out.stderr).toBe(0);
    expect(await upstreamRef(f, REF)).toBe(second);
    const record = f.door.pushes()[1];
    expect(record).toMatchObject({
      oldSha: first,
      newSha: second,
      accepted: true,
      commits: 2,
    });
    expect(record?.filesChanged.sort()).toEqual(["b.txt", "c.txt"]);
  });

  it("serves fetches of the run's repository from the mirror", async () => {
    const f = await setup();
    const main = await gitOk(f.mirrorDir, ["rev-parse", "main"]);
    const out = await f.push(["fetch", f.remoteUrl, "main"]);
    expect(out.code, out.stderr).toBe(0);
    expect(await gitOk(f.workDir, ["rev-parse", "FETCH_HEAD"])).toBe(main);
    const listed = await f.push(["ls-remote", f.remoteUrl]);
    expect(listed.stdout).toContain(`${main}\trefs/heads/main`);
  });

  it("refuses a force push that rewrites the branch", async () => {
    const f = await setup();
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    expect((await push(f)).code).toBe(0);
    await gitOk(f.workDir, ["reset", "-q", "--hard", "HEAD~1"]);
    await writeAndCommit(f.workDir, { "a.txt": "other\n" }, "rewrite");

    await expectRefused(
      f,
      () => push(f, `+HEAD:${REF}`),
      /create-or-fast-forward.*not a fast-forward/,
    );
    expect(f.door.pushes()[1]?.accepted).toBe(false);
    expect(f.events.at(-1)?.kind).toBe("push_rejected");
  });

  it("refuses to delete the branch", async () => {
    const f = await setup();
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    expect((await push(f)).code).toBe(0);
    await expectRefused(f, () => push(f, `:${REF}`), /no-delete/);
  });

  it("refuses a tag", async () => {
    const f = await setup();
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    await gitOk(f.workDir, ["tag", "v1"]);
    await expectRefused(
      f,
      () => push(f, "refs/tags/v1:refs/tags/v1"),
      /branch-only.*tag refs\/tags\/v1/,
    );
  });

  it("refuses another branch, and two refs at once", async () => {
    const f = await setup();
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    await expectRefused(
      f,
      () => push(f, "HEAD:refs/heads/main"),
      /branch-only/,
    );
    await expectRefused(
      f,
      () =>
        f.push(["push", f.remoteUrl, `HEAD:${REF}`, "HEAD:refs/heads/other"]),
      /single-ref/,
    );
  });

  it("refuses a commit touching a protected path, even deep in the range", async () => {
    const f = await setup();
    await writeAndCommit(
      f.workDir,
      { ".github/workflows/ci.yml": "on: push\n" },
      "ci",
    );
    await writeAndCommit(f.workDir, { "ok.txt": "fine\n" }, "harmless");
    await expectRefused(
      f,
      () => push(f),
      /protected-paths.*\.github\/workflows\/ci\.yml/,
    );
  });

  it("refuses a protected path that policy adds", async () => {
    const f = await setup({
      spec: withPolicy({
        protectedPaths: [".github/workflows/**", "deploy/**"],
      }),
    });
    await writeAndCommit(f.workDir, { "deploy/prod.yml": "x\n" }, "deploy");
    await expectRefused(f, () => push(f), /protected-paths.*deploy\/prod\.yml/);
  });

  it("refuses added lines that look like credentials, naming the file but not the secret", async () => {
    const f = await setup();
    const secret = `AKIA${"Q".repeat(16)}`;
    await writeAndCommit(
      f.workDir,
      { "config.js": `const k = "${secret}";\n` },
      "key",
    );
    await writeAndCommit(
      f.workDir,
      { id_rsa: "-----BEGIN RSA PRIVATE KEY-----\nabc\n" },
      "key2",
    );
    const out = await expectRefused(
      f,
      () => push(f),
      /secrets.*AWS access key id in config\.js/,
    );
    expect(out.stderr).toMatch(/private key in id_rsa/);
    expect(out.stderr).not.toContain(secret);
    expect(JSON.stringify(f.events)).not.toContain(secret);
  });

  it("refuses the run's own credential written into a commit", async () => {
    const f = await setup();
    await writeAndCommit(
      f.workDir,
      { "notes.txt": `token ${f.token}\n` },
      "oops",
    );
    await expectRefused(f, () => push(f), /door credential/);
  });

  it("refuses a file over the size limit and too many commits", async () => {
    const f = await setup({
      spec: withPolicy({ maxFileBytes: 1000, maxCommits: 2 }),
    });
    await writeAndCommit(
      f.workDir,
      { "big.bin": Buffer.alloc(5000, 1) },
      "big",
    );
    await writeAndCommit(f.workDir, { "a.txt": "a\n" }, "a");
    await writeAndCommit(f.workDir, { "b.txt": "b\n" }, "b");
    const out = await expectRefused(f, () => push(f), /file-size.*big\.bin/);
    expect(out.stderr).toMatch(/commit-limit/);
  });

  it("refuses a pack over the size limit", async () => {
    const f = await setup({
      spec: withPolicy({ maxPackBytes: 64 * 1024, maxFileBytes: 10 ** 8 }),
    });
    const noise = randomBytes(300_000);
    await writeAndCommit(f.workDir, { "noise.bin": noise }, "noise");
    await expectRefused(f, () => push(f), /pack-size|unpack/);
    expect(f.door.pushes()[0]?.reasons.join()).toMatch(/pack-size/);
  });
});
