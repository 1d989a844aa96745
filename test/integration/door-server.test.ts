import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

import { describe, expect, it, onTestFinished } from "vitest";

import { encodePktLine } from "../../runner/door/pkt-line.ts";
import type { RunSpec } from "../../runner/types.ts";
import { createLocalUpstream } from "../../runner/upstream/local-upstream.ts";
import {
  BRANCH,
  gitOk,
  openDoorFixture,
  runSpec,
  upstreamRef,
  writeAndCommit,
  type DoorFixture,
} from "../support/door-fixture.ts";

const REF = `refs/heads/${BRANCH}`;
const ZERO = "0".repeat(40);

async function setup(
  options: Parameters<typeof openDoorFixture>[0] = {},
): Promise<DoorFixture> {
  const fixture = await openDoorFixture(options);
  onTestFinished(() => fixture.close());
  return fixture;
}

function push(f: DoorFixture, refspec = `HEAD:${REF}`, extra: string[] = []) {
  return f.push(["push", ...extra, f.remoteUrl, refspec]);
}

async function upstreamState(f: DoorFixture): Promise<string> {
  return gitOk(f.upstreamDir, [
    "for-each-ref",
    "--format=%(refname) %(objectname)",
  ]);
}

/** Pushes that must fail: the client says why, and upstream is untouched. */
async function expectRefused(
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

function withPolicy(policy: Partial<RunSpec["pushPolicy"]>): RunSpec {
  const spec = runSpec();
  return { ...spec, pushPolicy: { ...spec.pushPolicy, ...policy } };
}

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

  it("answers 403 to a wrong or revoked credential and 401 to none", async () => {
    const f = await setup();
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    await expectRefused(
      f,
      () => f.push(["push", f.remoteUrl, `HEAD:${REF}`], "asbx_wrong"),
      /403/,
    );
    const bare = await raw(
      f,
      "GET",
      "/git/acme/widgets.git/info/refs?service=git-receive-pack",
      null,
    );
    expect(bare.status).toBe(401);
    expect(bare.headers["www-authenticate"]).toMatch(/^Basic/);
    f.revoke();
    await expectRefused(f, () => push(f), /403/);
    expect(f.door.pushes()).toEqual([]);
  });

  it("answers 404 for another repository and for unknown paths", async () => {
    const f = await setup();
    const other = f.remoteUrl.replace("acme/widgets", "acme/secrets");
    const out = await f.push(["ls-remote", other]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/404|not found/i);
    const auth = basic(f.token);
    expect(
      (await raw(f, "GET", "/git/acme/widgets.git/HEAD", null, auth)).status,
    ).toBe(404);
    expect(
      (
        await raw(
          f,
          "GET",
          "/git/acme/widgets.git/info/refs?service=git-upload-archive",
          null,
          auth,
        )
      ).status,
    ).toBe(403);
    expect((await raw(f, "GET", "/elsewhere", null, auth)).status).toBe(404);
  });

  it("refuses push options, whether git asks for them or a raw request does", async () => {
    const f = await setup();
    const sha = await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    await expectRefused(
      f,
      () => push(f, `HEAD:${REF}`, ["-o", "ci.skip"]),
      /push options/,
    );

    const body = Buffer.concat([
      encodePktLine(`${ZERO} ${sha} ${REF}\0report-status push-options\n`),
      Buffer.from("0000"),
      encodePktLine("ci.skip\n"),
      Buffer.from("0000PACK"),
    ]);
    const res = await raw(
      f,
      "POST",
      "/git/acme/widgets.git/git-receive-pack",
      body,
      {
        ...basic(f.token),
        "content-type": "application/x-git-receive-pack-request",
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.toString()).toMatch(
      /ng refs\/heads\/agent\/fix-1 no-push-options: push options are not accepted/,
    );
    expect(await upstreamRef(f, REF)).toBeNull();
  });

  it("reports a conflict when upstream moved, and never forces", async () => {
    const f = await setup({
      upstream: (dir) => {
        const local = createLocalUpstream(dir);
        return {
          fetchSource: () => local.fetchSource(),
          async forward(quarantine, update) {
            // Someone else creates the branch between the check and the swap.
            await gitOk(dir, ["branch", BRANCH, "main"]);
            return local.forward(quarantine, update);
          },
        };
      },
    });
    await writeAndCommit(f.workDir, { "a.txt": "1\n" }, "one");
    const main = await upstreamRef(f, "refs/heads/main");
    const out = await push(f);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/fetch first/);
    expect(await upstreamRef(f, REF)).toBe(main);
    expect(f.events.at(-1)?.kind).toBe("push_conflict");
  });

  it("keeps no quarantine of a refused push, and close() removes everything", async () => {
    const f = await setup();
    await writeAndCommit(
      f.workDir,
      { ".github/workflows/x.yml": "x\n" },
      "bad",
    );
    await push(f);
    const quarantine = path.join(f.root, "door", "quarantine");
    expect(await readdir(quarantine)).toEqual(["accepted.git"]);
    expect((await stat(f.door.socketPath)).mode & 0o777).toBe(0o666);
    expect((await stat(path.dirname(f.door.socketPath))).mode & 0o777).toBe(
      0o755,
    );

    await f.door.close();
    await expect(stat(f.door.socketPath)).rejects.toThrow(/ENOENT/);
    await expect(stat(quarantine)).rejects.toThrow(/ENOENT/);
  });
});

function basic(token: string): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}`,
  };
}

function raw(
  f: DoorFixture,
  method: string,
  target: string,
  body: Buffer | null,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: f.door.socketPath, method, path: target, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}
