import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import { withFileLock } from "../../runner/workspace/file-lock.ts";
import { settledCode } from "../support/error-code.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const lockModule = path.join(repoRoot, "runner/workspace/file-lock.ts");

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "file-lock-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const lockCode = (promise: Promise<unknown>) =>
  settledCode(promise, "acquired");

describe("withFileLock", () => {
  it("runs exclusive holders one after the other", async () => {
    const lock = path.join(await scratch(), "x.lock");
    const spans: Array<[number, number]> = [];
    const hold = () =>
      withFileLock(lock, 10_000, async () => {
        const start = performance.now();
        await sleep(150);
        spans.push([start, performance.now()]);
      });

    await Promise.all([hold(), hold(), hold()]);

    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i += 1) {
      expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
  });

  it("lets shared holders overlap but keeps an exclusive one out", async () => {
    const lock = path.join(await scratch(), "x.lock");
    let readers = 0;
    let most = 0;
    const read = () =>
      withFileLock(
        lock,
        10_000,
        async () => {
          readers += 1;
          most = Math.max(most, readers);
          await sleep(200);
          readers -= 1;
        },
        { shared: true },
      );
    const write = () => withFileLock(lock, 10_000, async () => readers);

    const [, , seen] = await Promise.all([
      read(),
      read(),
      sleep(50).then(write),
    ]);

    expect(most).toBe(2);
    expect(seen).toBe(0);
  });

  it("gives up with MIRROR_LOCK_TIMEOUT while another process holds it, and gets it once that process is killed", async () => {
    const dir = await scratch();
    const lock = path.join(dir, "x.lock");
    const holder = path.join(dir, "holder.mts");
    await writeFile(
      holder,
      `import { withFileLock } from ${JSON.stringify(lockModule)};
await withFileLock(${JSON.stringify(lock)}, 5000, async () => {
  process.stdout.write("held\\n");
  await new Promise(() => setInterval(() => {}, 1000));
});
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", holder], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanups.push(async () => {
      child.kill("SIGKILL");
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`holder exited ${code}`)));
    });

    expect(await lockCode(withFileLock(lock, 1000, async () => {}))).toBe(
      "MIRROR_LOCK_TIMEOUT",
    );

    // SIGKILL leaves no chance to clean up; the kernel must free the lock.
    child.kill("SIGKILL");
    expect(await lockCode(withFileLock(lock, 5000, async () => {}))).toBe(
      "acquired",
    );
  });

  it("releases the lock when the task throws", async () => {
    const lock = path.join(await scratch(), "x.lock");
    const failing = withFileLock(lock, 5000, async () => {
      throw new Error("task failed");
    });
    await expect(failing).rejects.toThrow("task failed");

    expect(await lockCode(withFileLock(lock, 1000, async () => {}))).toBe(
      "acquired",
    );
  });
});
