import { randomBytes } from "node:crypto";
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from "node:fs/promises";
import path from "node:path";

import { oneLine, runGit } from "../door/git-process.ts";
import type { ForwardResult, RefUpdate } from "../types.ts";

// The cheap way to forward a judged push into a repository on this
// machine. The quarantine already holds the push as one complete pack
// (`index-pack --fix-thin`), so instead of a second `git push`, which
// packs the same objects again, the pack is linked into the repository,
// checked for connectivity the way receive-pack checks a push, and the ref
// is moved with a compare-and-swap. Anything this path cannot vouch for
// answers null, and the caller forwards with a real push instead.

const PACK_FILE = /^pack-[0-9a-f]{40}\.(pack|idx|rev)$/;
// What `git update-ref` says when the ref is not at the expected value:
// created, moved or deleted by someone else since the door looked.
const MOVED =
  /already exists|is at [0-9a-f]+ but expected|unable to resolve reference|File exists/;

export interface LocalRepository {
  /** The repository's git directory (where objects/ and refs live). */
  gitDir: string;
  bare: boolean;
}

/**
 * The git directory of `target` when it is a plain repository: a bare one,
 * or a work tree with a `.git` directory. Linked work trees, submodules and
 * anything else answer null, and are pushed to the ordinary way.
 */
export async function findLocalRepository(
  target: string,
): Promise<LocalRepository | null> {
  const dotGit = path.join(target, ".git");
  const inner = await stat(dotGit).catch(() => null);
  if (inner && !inner.isDirectory()) return null;
  const gitDir = inner ? dotGit : target;
  const [objects, head, common] = await Promise.all([
    stat(path.join(gitDir, "objects")).catch(() => null),
    stat(path.join(gitDir, "HEAD")).catch(() => null),
    stat(path.join(gitDir, "commondir")).catch(() => null),
  ]);
  if (!objects?.isDirectory() || !head?.isFile() || common) return null;
  return { gitDir, bare: !inner };
}

/** Null when the pack cannot be installed here and a push must do it. */
export async function installPack(
  quarantineDir: string,
  repo: LocalRepository,
  update: RefUpdate,
): Promise<ForwardResult | null> {
  // A branch checked out in a work tree is receive-pack's to judge
  // (receive.denyCurrentBranch); moving it here would strand the files.
  if (await checkedOut(repo, update.ref)) return null;
  const packs = await quarantinePacks(quarantineDir);
  if (packs === null) return null;

  const objects = path.join(repo.gitDir, "objects");
  const incoming = path.join(
    objects,
    `incoming-${randomBytes(6).toString("hex")}`,
  );
  try {
    await mkdir(path.join(incoming, "pack"), { recursive: true });
    for (const name of packs) {
      await linkOrCopy(
        path.join(quarantineDir, "objects", "pack", name),
        path.join(incoming, "pack", name),
      );
    }
    if (!(await connected(repo, incoming, update.newSha))) return null;

    // The .idx last: git finds a pack through its index, so a reader never
    // sees an index without its pack.
    const order = (name: string) => (name.endsWith(".idx") ? 1 : 0);
    for (const name of [...packs].sort((a, b) => order(a) - order(b))) {
      await rename(
        path.join(incoming, "pack", name),
        path.join(objects, "pack", name),
      );
    }
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
  return swapRef(repo, update);
}

async function checkedOut(repo: LocalRepository, ref: string) {
  const worktrees = path.join(repo.gitDir, "worktrees");
  const linked = await readdir(worktrees).catch(() => []);
  const heads = [
    ...(repo.bare ? [] : [path.join(repo.gitDir, "HEAD")]),
    ...linked.map((name) => path.join(worktrees, name, "HEAD")),
  ];
  const texts = await Promise.all(
    heads.map((file) => readFile(file, "utf8").catch(() => "")),
  );
  return texts.some((text) => text.trim() === `ref: ${ref}`);
}

/** The quarantine's pack files, or null when it holds anything else
 * (loose objects) that a pack move would leave behind. */
async function quarantinePacks(dir: string): Promise<string[] | null> {
  const objects = await readdir(path.join(dir, "objects"));
  if (objects.some((name) => name !== "pack" && name !== "info")) return null;
  const names = await readdir(path.join(dir, "objects", "pack"));
  if (names.some((name) => !PACK_FILE.test(name))) return null;
  return names;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    // Another file system, or one without hard links.
    await copyFile(from, to);
  }
}

/**
 * Whether everything the new tip reaches is in the repository once the
 * incoming pack is added: the check receive-pack makes of a push, since the
 * quarantine judged the push against the mirror, which may hold objects
 * this repository does not.
 */
async function connected(
  repo: LocalRepository,
  incoming: string,
  sha: string,
): Promise<boolean> {
  const result = await runGit(
    ["rev-list", "--objects", "--quiet", "--stdin"].concat(
      "--not",
      "--all",
      "--alternate-refs",
    ),
    {
      gitDir: repo.gitDir,
      env: { GIT_ALTERNATE_OBJECT_DIRECTORIES: incoming },
      input: `${sha}\n`,
    },
  );
  return result.code === 0;
}

async function swapRef(
  repo: LocalRepository,
  update: RefUpdate,
): Promise<ForwardResult> {
  // An old value of all zeros means "must not exist yet": a create is a
  // compare-and-swap too.
  const result = await runGit(
    [
      "update-ref",
      "-m",
      "push",
      "--",
      update.ref,
      update.newSha,
      update.oldSha,
    ],
    { gitDir: repo.gitDir },
  );
  if (result.code === 0) return { ok: true };
  const message = oneLine(result.stderr.replace(/^fatal: /, ""));
  return { ok: false, conflict: MOVED.test(message), message };
}
