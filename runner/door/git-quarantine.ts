import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { gitText } from "./git-process.ts";

/**
 * Host-owned repositories where pushes wait while they are judged. Each push
 * lands in its own bare repository that borrows objects (through
 * `objects/info/alternates`) from the cache mirror and from the run's store
 * of accepted pushes, so a thin pack can be completed and judged without
 * copying history. An accepted push's pack moves into the store, so the next
 * push of the run can build on it even though the mirror has not seen it; a
 * rejected push's repository is removed with everything in it.
 */
export interface QuarantineArea {
  /** Bare repository holding the objects of accepted pushes. */
  storeDir: string;
  open(): Promise<PushQuarantine>;
  /** Removes every quarantine repository and the store. */
  remove(): Promise<void>;
}

export interface PushQuarantine {
  dir: string;
  /** Keeps the received objects: moves the packs into the store and points
   * the store's copy of `ref` at `sha`. */
  accept(ref: string, sha: string): Promise<void>;
  discard(): Promise<void>;
}

export async function createQuarantineArea(
  root: string,
  mirrorDir: string,
): Promise<QuarantineArea> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const storeDir = path.join(root, "accepted.git");
  await initBare(storeDir, [objectsDir(mirrorDir)]);

  return {
    storeDir,
    async open() {
      const dir = path.join(root, `push-${randomBytes(6).toString("hex")}.git`);
      await initBare(dir, [objectsDir(storeDir), objectsDir(mirrorDir)]);
      return {
        dir,
        async accept(ref, sha) {
          await movePacks(dir, storeDir);
          await gitText(["update-ref", ref, sha], { gitDir: storeDir });
          await rm(dir, { recursive: true, force: true });
        },
        discard: () => rm(dir, { recursive: true, force: true }),
      };
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

// What `git init --bare` leaves behind, less its template, written directly:
// a push should not wait for a git process to lay out three directories.
const BARE_CONFIG = "[core]\n\trepositoryformatversion = 0\n\tbare = true\n";

async function initBare(dir: string, alternates: string[]): Promise<void> {
  await mkdir(dir);
  await Promise.all([
    mkdir(path.join(dir, "objects", "info"), { recursive: true }),
    mkdir(path.join(dir, "objects", "pack"), { recursive: true }),
    mkdir(path.join(dir, "refs", "heads"), { recursive: true }),
    mkdir(path.join(dir, "refs", "tags"), { recursive: true }),
    writeFile(path.join(dir, "HEAD"), "ref: refs/heads/main\n"),
    writeFile(path.join(dir, "config"), BARE_CONFIG),
  ]);
  await writeFile(
    path.join(dir, "objects", "info", "alternates"),
    alternates.map((alt) => `${alt}\n`).join(""),
  );
}

function objectsDir(repo: string): string {
  return path.join(path.resolve(repo), "objects");
}

// The .pack goes first and the .idx last: git finds packs through their
// index, so a reader never sees an index without its pack.
async function movePacks(from: string, to: string): Promise<void> {
  const source = path.join(from, "objects", "pack");
  const target = path.join(to, "objects", "pack");
  const names = await readdir(source);
  const order = (name: string) => (name.endsWith(".idx") ? 1 : 0);
  const packs = names
    .filter((name) => /^pack-[0-9a-f]+\.(pack|idx|rev)$/.test(name))
    .sort((a, b) => order(a) - order(b));
  for (const name of packs) {
    await rename(path.join(source, name), path.join(target, name));
  }
}
