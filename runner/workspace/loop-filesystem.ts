import { constants } from "node:fs";
import { access, mkdir, open, readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

import { AppError } from "../../app/errors/app-error.ts";
import { isMissingProgram, ProcessError, runProcess } from "./run-process.ts";

// Smaller images leave too little room after ext4's own metadata to hold
// even a small repository; the configured cap is normally in GiB.
export const MIN_WORKSPACE_BYTES = 16 * 1024 * 1024;

// A workspace is thrown away after its run, so crash safety buys nothing:
// no journal (less to write), no blocks reserved for root (the agent is not
// root and should get the whole cap).
const MKFS_ARGS = ["-q", "-F", "-t", "ext4", "-m", "0", "-O", "^has_journal"];

// The agent may build and run programs in its workspace, so no noexec; but
// device files and set-uid bits written by the agent must mean nothing.
// noinit_itable stops the kernel from zeroing inode tables in the
// background, which would write tens of MiB into every sparse image for no
// benefit to a file system that lives minutes.
const MOUNT_OPTIONS = "loop,nosuid,nodev,noinit_itable";

// A container that was just removed can hold the mount for a moment.
const UNMOUNT_ATTEMPTS = 5;
const UNMOUNT_RETRY_MS = 200;

/**
 * Fails early, with what is missing, when this host cannot give a run a
 * workspace of its own capped size.
 * @throws AppError WORKSPACE_UNSUPPORTED
 */
export async function assertLoopSupport(): Promise<void> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new AppError(
      "WORKSPACE_UNSUPPORTED",
      `Mounting a workspace image needs root, but this process runs as uid ${uid ?? "unknown"}.`,
    );
  }
  try {
    await access("/dev/loop-control", constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new AppError(
      "WORKSPACE_UNSUPPORTED",
      "There is no usable /dev/loop-control, so no loop device can be set up.",
      { cause: error },
    );
  }
}

/**
 * Creates a sparse image of exactly `bytes`, formats it as ext4 and mounts
 * it at `mountPoint`. Blocks are only allocated as files are written, so an
 * unused cap costs no disk.
 * @throws AppError WORKSPACE_UNSUPPORTED, WORKSPACE_PREPARE_FAILED
 */
export async function mountNewImage(
  image: string,
  mountPoint: string,
  bytes: number,
): Promise<void> {
  // "wx": a run id is used once; an existing image means a clash, not reuse.
  const handle = await open(image, "wx", 0o600);
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }

  try {
    await runProcess("mkfs.ext4", [...MKFS_ARGS, image]);
  } catch (error) {
    if (isMissingProgram(error)) {
      throw new AppError(
        "WORKSPACE_UNSUPPORTED",
        "mkfs.ext4 (from e2fsprogs) is not installed.",
        { cause: error },
      );
    }
    throw new AppError(
      "WORKSPACE_PREPARE_FAILED",
      "Formatting the workspace image failed.",
      { cause: error },
    );
  }

  await mountImage(image, mountPoint);
}

/**
 * Loop-mounts an existing ext4 image at `mountPoint`.
 * @throws AppError WORKSPACE_UNSUPPORTED
 */
export async function mountImage(
  image: string,
  mountPoint: string,
): Promise<void> {
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  try {
    await runProcess("mount", [
      "-t",
      "ext4",
      "-o",
      MOUNT_OPTIONS,
      image,
      mountPoint,
    ]);
  } catch (error) {
    throw new AppError(
      "WORKSPACE_UNSUPPORTED",
      "Loop-mounting the workspace image failed; loop devices may be missing or exhausted, or the process lacks CAP_SYS_ADMIN.",
      { cause: error },
    );
  }
}

/**
 * Unmounts `mountPoint` if mounted, detaches any loop device still bound to
 * `image`, and deletes both. Safe to call again, and on half-made workspaces.
 * @throws AppError WORKSPACE_RELEASE_FAILED
 */
export async function destroyImage(
  image: string,
  mountPoint: string,
): Promise<void> {
  try {
    await unmount(mountPoint);
    await detachLoops(image);
    await rm(mountPoint, { recursive: true, force: true });
    await rm(image, { force: true });
  } catch (error) {
    throw new AppError(
      "WORKSPACE_RELEASE_FAILED",
      `Removing the workspace at ${mountPoint} failed.`,
      { cause: error },
    );
  }
}

/** Unmounts `mountPoint` if it is mounted, waiting out a brief busy spell. */
export async function unmount(mountPoint: string): Promise<void> {
  for (let attempt = 1; await isMountPoint(mountPoint); attempt += 1) {
    if (attempt > UNMOUNT_ATTEMPTS) {
      // Still busy: detach it from the tree now, and the kernel frees it
      // (and its loop device) when the last user lets go. Removing the
      // directory below then cannot reach into the image.
      await runProcess("umount", ["--lazy", mountPoint]);
      return;
    }
    try {
      await runProcess("umount", [mountPoint]);
    } catch {
      await sleep(UNMOUNT_RETRY_MS);
    }
  }
}

async function detachLoops(image: string): Promise<void> {
  let listing: string;
  try {
    listing = (await runProcess("losetup", ["--associated", image])).stdout;
  } catch (error) {
    if (isMissingProgram(error)) return;
    throw error;
  }
  for (const line of listing.split("\n")) {
    const device = /^(\/dev\/loop\d+):/.exec(line)?.[1];
    if (device) await detach(device);
  }
}

/**
 * A loop device set up by `mount -o loop` clears itself once unmounted, so
 * it can vanish between the listing and the detach: that is the wanted end.
 */
async function detach(device: string): Promise<void> {
  try {
    await runProcess("losetup", ["--detach", device]);
  } catch (error) {
    const gone =
      error instanceof ProcessError &&
      /No such device or address/.test(error.stderr);
    if (!gone) throw error;
  }
}

/** Whether `target` (an absolute path) is a mount point in our namespace. */
export async function isMountPoint(target: string): Promise<boolean> {
  return (await mountPoints()).has(target);
}

/** Every mount point of this process's mount namespace. */
export async function mountPoints(): Promise<Set<string>> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  const points = new Set<string>();
  for (const line of table.split("\n")) {
    // Fields: id, parent, major:minor, root, mount point, ...; spaces and
    // other specials in paths are written as octal escapes such as \040.
    const field = line.split(" ")[4];
    if (!field) continue;
    points.add(
      field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(parseInt(octal, 8)),
      ),
    );
  }
  return points;
}
