import path from "node:path";

import { ZERO_SHA } from "../door/git-command-list.ts";
import { oneLine, runGit } from "../door/git-process.ts";
import { findLocalRepository, installPack } from "./local-pack-install.ts";
import type {
  ForwardResult,
  GitRemote,
  RefUpdate,
  Upstream,
} from "../types.ts";

// The receiving side of a local push is a second git process in the user's
// repository, started through a shell with the repository-local parts of
// our environment removed, so `-c` settings in the environment do not reach
// it. Naming the program with its own `-c` keeps the user's hooks from
// running on the run's behalf.
const RECEIVE_PACK = "git -c core.hooksPath=/dev/null receive-pack";

// What `git push --porcelain` prints for an update it refused because the
// remote was not where we said it was.
const CONFLICT = /stale info|fetch first|non-fast-forward|already exists/;

/**
 * The upstream of the command-line mode: a git repository on this machine.
 * Accepted pushes go into it with a compare-and-swap on the one ref; nothing
 * else in it changes. The quarantine's pack is installed directly when the
 * repository allows it, and pushed otherwise.
 */
export function createLocalUpstream(repository: string): Upstream {
  const target = path.resolve(repository);
  return {
    fetchSource: async (): Promise<GitRemote> => ({ url: target, config: {} }),

    async forward(
      quarantineDir: string,
      update: RefUpdate,
    ): Promise<ForwardResult> {
      const repo = await findLocalRepository(target);
      const installed =
        repo && (await installPack(quarantineDir, repo, update));
      if (installed) return installed;

      const expected = update.oldSha === ZERO_SHA ? "" : update.oldSha;
      const result = await runGit(
        [
          "push",
          "--porcelain",
          "--no-verify",
          `--receive-pack=${RECEIVE_PACK}`,
          `--force-with-lease=${update.ref}:${expected}`,
          target,
          `${update.newSha}:${update.ref}`,
        ],
        { gitDir: quarantineDir },
      );
      if (result.code === 0) return { ok: true };

      const report = result.stdout.toString("utf8");
      const refused = report.split("\n").find((line) => line.startsWith("!\t"));
      const message = oneLine(refused ?? result.stderr);
      return { ok: false, conflict: CONFLICT.test(message), message };
    },
  };
}
