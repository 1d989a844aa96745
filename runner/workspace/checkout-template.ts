import {
  mkdir,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  utimes,
} from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { withFileLock } from "./file-lock.ts";
import { git } from "./git.ts";
import { destroyImage, mountNewImage, unmount } from "./loop-filesystem.ts";
import { pathExists } from "./path-exists.ts";
import { runProcess } from "./run-process.ts";

// The container's `agent` user; every file of a workspace belongs to it.
export const WORKSPACE_OWNER = "10001:10001";

// Checked-out images kept per repository, most recently used first. Each
// holds one base commit's files (sparse, so only their size on disk); runs
// usually start from the tip of a few branches, so a handful covers them.
// Shortcoming: the templates of a repository no run uses any more stay
// until the cache folder is deleted; an age limit applied by the sweeper
// would bound them.
const TEMPLATES_KEPT = 4;

const LOCK_TIMEOUT_MS = 10 * 60 * 1000;

// Marks images and mount points of a build in progress; under the
// exclusive lock, any such entry belongs to a build that crashed.
const BUILDING = ".building";

// Suffix of a repository's template folder, next to its mirror.
const TEMPLATES = ".checkouts";

export interface CopyCheckoutOptions {
  mirror: string;
  baseSha: string;
  /** Size of the image, the run's workspace cap. */
  bytes: number;
  /** The run's own image, already claimed (created empty) by the caller;
   * it is overwritten. */
  target: string;
  log: Logger;
}

/** The folder of a mirror's checked-out template images. */
export function templatesDir(mirror: string): string {
  return mirror.replace(/\.git$/, "") + TEMPLATES;
}

/**
 * Gives the run its own ext4 image already holding the base commit's
 * files, by copying a template image built once per base commit and size.
 *
 * Checking out tens of thousands of files is most of what a clone costs
 * once the objects are cached; copying a sparse image moves only the
 * allocated blocks, in the kernel, and the copy is independent of the
 * template, so templates can be replaced or evicted while runs use their
 * copies. A template is never mounted where an agent can reach it.
 *
 * Template use takes a shared lock per repository; building and eviction
 * take it exclusively.
 */
export async function copyCheckout(
  options: CopyCheckoutOptions,
): Promise<{ built: boolean }> {
  const dir = templatesDir(options.mirror);
  const lock = `${dir}.lock`;
  const template = path.join(dir, `${options.baseSha}-${options.bytes}.img`);
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const copied = await withFileLock(
    lock,
    LOCK_TIMEOUT_MS,
    async () => {
      if (!(await pathExists(template))) return false;
      await copyImage(template, options.target);
      return true;
    },
    { shared: true },
  );
  if (copied) return { built: false };

  return withFileLock(lock, LOCK_TIMEOUT_MS, async () => {
    await removeAbandonedBuilds(dir);
    let built = false;
    if (!(await pathExists(template))) {
      const started = Date.now();
      await buildTemplate(options, template);
      await evictTemplates(dir, template);
      built = true;
      options.log.info(
        { template, durationMs: Date.now() - started },
        "checkout template built",
      );
    }
    await copyImage(template, options.target);
    return { built };
  });
}

/**
 * Unmounts and deletes what template builds that crashed left behind in
 * every repository's template folder under `cacheDir`. Takes each
 * repository's exclusive lock, so a build in progress is never touched.
 */
export async function sweepTemplateBuilds(cacheDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(cacheDir);
  } catch {
    return;
  }
  for (const entry of entries.filter((name) => name.endsWith(TEMPLATES))) {
    const dir = path.join(cacheDir, entry);
    await withFileLock(`${dir}.lock`, LOCK_TIMEOUT_MS, () =>
      removeAbandonedBuilds(dir),
    );
  }
}

async function buildTemplate(
  options: CopyCheckoutOptions,
  template: string,
): Promise<void> {
  const mountPoint = template.replace(/\.img$/, BUILDING);
  const image = `${mountPoint}.img`;
  try {
    await mountNewImage(image, mountPoint, options.bytes);
    await checkOut(mountPoint, options.mirror, options.baseSha);
    await unmount(mountPoint);
    await rmdir(mountPoint);
    await rename(image, template);
  } catch (error) {
    await destroyImage(image, mountPoint);
    throw error;
  }
}

async function checkOut(dir: string, mirror: string, sha: string) {
  // A fresh ext4 has lost+found at its root; git only clones into an empty
  // folder, and the agent has no use for it.
  await rmdir(path.join(dir, "lost+found"));

  // --shared writes objects/info/alternates instead of copying objects; no
  // template means no sample hooks. HEAD is left detached at the base; each
  // run's copy gets its own branch.
  await git([
    "clone",
    "--quiet",
    "--shared",
    "--no-checkout",
    "--template=",
    "--end-of-options",
    mirror,
    dir,
  ]);
  await git(["checkout", "--quiet", "--detach", sha], {
    cwd: dir,
    config: { "checkout.workers": "0" },
  });

  // Written as root, handed over in one pass; -h changes symbolic links
  // themselves and -R never follows them, so nothing outside is touched.
  await runProcess("chown", ["-R", "-h", WORKSPACE_OWNER, dir]);

  // chown changed every file's owner and ctime, which the index records;
  // refreshing it here spares the agent's first `git status` from
  // re-reading every file. The folder is ours alone until a run's copy is
  // handed over, hence safe.directory.
  await git(["update-index", "-q", "--refresh"], {
    cwd: dir,
    config: { "safe.directory": dir },
  });
  await runProcess("chown", [
    "-h",
    WORKSPACE_OWNER,
    path.join(dir, ".git", "index"),
  ]);
}

async function copyImage(template: string, target: string): Promise<void> {
  // --sparse=always skips holes and unused blocks, so the copy costs the
  // checkout's size, not the cap.
  await runProcess("cp", ["--sparse=always", template, target]);
  const now = new Date();
  await utimes(template, now, now);
}

async function removeAbandonedBuilds(dir: string): Promise<void> {
  const mountPoints = new Set(
    (await readdir(dir))
      .map((entry) => entry.replace(/\.img$/, ""))
      .filter((entry) => entry.endsWith(BUILDING)),
  );
  for (const entry of mountPoints) {
    const mountPoint = path.join(dir, entry);
    await destroyImage(`${mountPoint}.img`, mountPoint);
  }
}

async function evictTemplates(dir: string, keep: string): Promise<void> {
  const templates = (await readdir(dir))
    .filter((entry) => entry.endsWith(".img") && !entry.includes(BUILDING))
    .map((entry) => path.join(dir, entry))
    .filter((entry) => entry !== keep);
  const dated = await Promise.all(
    templates.map(async (file) => ({
      file,
      usedAt: (await stat(file)).mtimeMs,
    })),
  );
  dated.sort((a, b) => b.usedAt - a.usedAt);
  // Runs own independent copies, so a template can go at any time.
  for (const { file } of dated.slice(TEMPLATES_KEPT - 1)) {
    await rm(file, { force: true });
  }
}
