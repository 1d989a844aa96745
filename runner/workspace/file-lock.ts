import { spawn } from "node:child_process";

import { AppError } from "../../app/errors/app-error.ts";

// flock(1) exits with this code when --wait runs out (EX_TEMPFAIL), which
// keeps a timeout apart from any other failure.
const LOCK_TIMEOUT_EXIT = 75;

// The holder prints this once it owns the lock, then waits for its stdin to
// close. Nothing of ours is interpolated into the shell text.
const HOLD_SCRIPT = "echo locked; exec cat >/dev/null";

export interface LockOptions {
  /** Many shared holders may run together; an exclusive one runs alone. */
  shared?: boolean;
}

/**
 * Runs `task` while holding a lock on the file at `lockPath`, exclusive
 * unless `shared` is asked for, against every process on the host that
 * locks the same file.
 *
 * The lock is a kernel `flock` held by a small `flock(1)` child whose stdin
 * is a pipe from us. However this process ends, even by SIGKILL, the pipe
 * closes, the child exits and the kernel drops the lock, so a crashed holder
 * can never wedge the lock. The lock file itself is left in place: deleting
 * it would let two processes lock two different files of the same name.
 *
 * @throws AppError MIRROR_LOCK_TIMEOUT when the lock is not free in time.
 */
export async function withFileLock<T>(
  lockPath: string,
  timeoutMs: number,
  task: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await acquire(lockPath, timeoutMs, options.shared ?? false);
  try {
    return await task();
  } finally {
    await release();
  }
}

function acquire(
  lockPath: string,
  timeoutMs: number,
  shared: boolean,
): Promise<() => Promise<void>> {
  const waitSeconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const child = spawn(
    "flock",
    [
      shared ? "--shared" : "--exclusive",
      "--wait",
      waitSeconds,
      "--conflict-exit-code",
      String(LOCK_TIMEOUT_EXIT),
      lockPath,
      "sh",
      "-c",
      HOLD_SCRIPT,
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => resolve(code));
  });
  // Writing nothing but the final close; an early exit of the child must
  // not surface as an unhandled EPIPE.
  child.stdin.on("error", () => undefined);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });

  const release = async (): Promise<void> => {
    child.stdin.end();
    await exited;
  };

  return new Promise((resolve, reject) => {
    child.on("error", (error) =>
      reject(
        new AppError(
          "WORKSPACE_UNSUPPORTED",
          "flock(1) from util-linux could not be started.",
          { cause: error },
        ),
      ),
    );
    child.stdout.once("data", () => resolve(release));
    void exited.then((code) => {
      if (code === LOCK_TIMEOUT_EXIT) {
        reject(
          new AppError(
            "MIRROR_LOCK_TIMEOUT",
            `The lock ${lockPath} was still held after ${waitSeconds} s.`,
          ),
        );
        return;
      }
      reject(
        new AppError(
          "MIRROR_UPDATE_FAILED",
          `Locking ${lockPath} failed (flock exited ${code}): ${stderr.trim()}`,
        ),
      );
    });
  });
}
