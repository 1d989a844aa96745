import { readdir, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { encodePktLine } from "../../runner/door/pkt-line.ts";
import { createLocalUpstream } from "../../runner/upstream/local-upstream.ts";
import {
  expectRefused,
  push,
  REF,
  setup,
  ZERO,
} from "../support/door-assertions.ts";
import {
  BRANCH,
  gitOk,
  upstreamRef,
  writeAndCommit,
  type DoorFixture,
} from "../support/door-fixture.ts";

describe("the door's access rules, conflicts and cleanup", () => {
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
