import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { git, GitError } from "../../runner/workspace/git.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "git-run-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("git", () => {
  it("passes per-call config without writing it anywhere", async () => {
    const dir = await scratch();
    await git(["init", "--quiet", dir]);

    const value = await git(["config", "--get", "sandbox.probe"], {
      cwd: dir,
      config: { "sandbox.probe": "per-call-value" },
    });

    expect(value.trim()).toBe("per-call-value");
    await expect(
      git(["config", "--get", "sandbox.probe"], { cwd: dir }),
    ).rejects.toBeInstanceOf(GitError);
  });

  it("ignores the host's own git configuration", async () => {
    const previous = process.env.GIT_CONFIG_PARAMETERS;
    process.env.GIT_CONFIG_PARAMETERS = "'sandbox.leak'='from-host'";
    cleanups.push(async () => {
      if (previous === undefined) delete process.env.GIT_CONFIG_PARAMETERS;
      else process.env.GIT_CONFIG_PARAMETERS = previous;
    });

    await expect(git(["config", "--get", "sandbox.leak"])).rejects.toThrow();
  });

  it("runs with hooks switched off", async () => {
    const hooks = await git(["config", "--get", "core.hooksPath"]);
    expect(hooks.trim()).toBe("/dev/null");
  });

  it("keeps per-call credentials out of its errors", async () => {
    const dir = await scratch();
    const secret = "ghs_supersecrettoken123";
    // git echoes a missing path, so a token in it reaches the message.
    const missing = path.join(dir, secret, "nope");
    await git(["init", "--quiet", "--bare", path.join(dir, "m.git")]);

    const failure = git(["fetch", missing], {
      cwd: path.join(dir, "m.git"),
      config: { "http.extraHeader": `Authorization: Bearer ${secret}` },
    });

    const error = await failure.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    const message = (error as GitError).message;
    expect(message).toContain("[redacted]");
    expect(message).not.toContain(secret);
    expect((error as GitError).exitCode).not.toBe(0);
  });
});
