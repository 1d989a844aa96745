import type {
  ForwardResult,
  GitRemote,
  RefUpdate,
  Upstream,
} from "../../runner/types.ts";
import { git, GitError } from "../../runner/workspace/git.ts";
import type { Logger } from "../log/logger.ts";
import type { GitHubApp } from "./github-client.ts";

// The all-zero object name git uses for "no such ref" in ref updates.
const ZERO_SHA = "0".repeat(40);

// Lines git prints when the remote moved under us: the lease no longer
// matches, or the update is not a fast-forward of what is there now.
const CONFLICT = /stale info|fetch first|non-fast-forward|\(rejected\)/i;

export interface GitHubUpstream extends Upstream {
  /** Revokes every token this upstream minted that is still alive. */
  close(): Promise<void>;
}

/**
 * The way a run's repository data comes from and goes to GitHub. Every
 * token is minted for one use, narrowed to this one repository and the
 * least permission (`contents: read` to fetch, `contents: write` to push),
 * handed to git for one call through per-call configuration (never written
 * to a file), and revoked as soon as that use is over.
 */
export function createGitHubUpstream(deps: {
  github: GitHubApp;
  installationId: number;
  repository: string;
  log: Logger;
}): GitHubUpstream {
  const { github, installationId, repository } = deps;
  const [, name = ""] = repository.split("/");
  const url = github.gitUrl(repository);
  const live = new Set<string>();
  const log = deps.log.child({ repository });

  const revoke = async (token: string) => {
    live.delete(token);
    try {
      await github.revokeToken(token);
    } catch (err) {
      // The token dies within the hour anyway; a failed revocation is
      // worth an alert, not a failed run.
      log.error({ err }, "token revocation failed");
    }
  };

  return {
    async fetchSource(): Promise<GitRemote> {
      const minted = await github.mintToken(installationId, [name], {
        contents: "read",
      });
      live.add(minted.token);
      return { url, config: withToken(minted.token) };
    },

    async forward(
      quarantineDir: string,
      update: RefUpdate,
    ): Promise<ForwardResult> {
      const minted = await github.mintToken(installationId, [name], {
        contents: "write",
      });
      live.add(minted.token);
      // Compare and swap: the push lands only if the ref still holds the
      // value the gateway checked against (absent, for a new branch).
      const expected = update.oldSha === ZERO_SHA ? "" : update.oldSha;
      try {
        await git(
          [
            "--git-dir",
            quarantineDir,
            "push",
            "--porcelain",
            "--no-verify",
            `--force-with-lease=${update.ref}:${expected}`,
            url,
            `${update.newSha}:${update.ref}`,
          ],
          { config: withToken(minted.token) },
        );
        log.info({ ref: update.ref, newSha: update.newSha }, "pushed upstream");
        return { ok: true };
      } catch (err) {
        const message = err instanceof GitError ? err.message : String(err);
        const conflict = CONFLICT.test(message);
        log.warn({ ref: update.ref, conflict }, "upstream push failed");
        return { ok: false, conflict, message: lastLines(message) };
      } finally {
        await revoke(minted.token);
      }
    },

    async close() {
      await Promise.all([...live].map(revoke));
    },
  };
}

/**
 * Per-call git configuration carrying the token. An empty value first
 * resets `http.extraHeader` (a list in git), so no header that a
 * repository's own config might hold is ever sent alongside ours; git reads
 * the two keys as one because config names ignore case.
 */
function withToken(token: string): Record<string, string> {
  return { "http.extraheader": "", "http.extraHeader": authHeader(token) };
}

function authHeader(token: string): string {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return `Authorization: Basic ${basic}`;
}

function lastLines(message: string): string {
  return message.trim().split("\n").slice(-5).join("\n");
}
