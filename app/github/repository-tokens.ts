import type { RepoRef, TokenPermissions } from "./github-client.ts";

// What the app's REST calls on one repository need: comments, reactions,
// pull requests, check runs, and reading policy files. Never contents
// write: pushes get tokens of their own, minted for one push each.
export const REST_PERMISSIONS: TokenPermissions = {
  issues: "write",
  pull_requests: "write",
  checks: "write",
  contents: "read",
  metadata: "read",
};

// A token idle this long is revoked; the next call mints a fresh one.
const IDLE_MS = 60_000;
// Installation tokens live an hour; stop using one well before it ends.
const REUSE_MARGIN_MS = 10 * 60_000;

export interface MintedToken {
  token: string;
  expiresAt: string;
}

interface Entry {
  token: Promise<MintedToken>;
  idle: NodeJS.Timeout | undefined;
}

export interface RepositoryTokens {
  /** A token narrowed to `ref` and REST_PERMISSIONS, minted on demand. */
  tokenFor(installationId: number, ref: RepoRef): Promise<string>;
  /** Revokes every token still held. */
  revokeAll(): Promise<void>;
}

/**
 * REST calls use tokens narrowed to one repository and the permissions the
 * app's REST work needs, not the installation-wide token: a token leaked
 * from this process reaches one repository and cannot push. Each is
 * revoked once idle, once near its end, and at shutdown.
 */
export function createRepositoryTokens(
  mint: (
    installationId: number,
    repository: string,
    permissions: TokenPermissions,
  ) => Promise<MintedToken>,
  revoke: (token: string) => Promise<void>,
  now: () => number = Date.now,
): RepositoryTokens {
  const held = new Map<string, Entry>();

  const drop = async (key: string, entry: Entry) => {
    if (held.get(key) === entry) held.delete(key);
    if (entry.idle) clearTimeout(entry.idle);
    const minted = await entry.token.catch(() => null);
    if (minted) await revoke(minted.token).catch(() => undefined);
  };

  const fresh = async (entry: Entry) => {
    const minted = await entry.token.catch(() => null);
    return (
      minted !== null && Date.parse(minted.expiresAt) - now() > REUSE_MARGIN_MS
    );
  };

  return {
    async tokenFor(installationId, ref) {
      const key = `${installationId}/${ref.owner}/${ref.repo}`;
      let entry = held.get(key);
      if (entry && !(await fresh(entry))) {
        await drop(key, entry);
        entry = undefined;
      }
      if (!entry) {
        entry = {
          token: mint(installationId, ref.repo, REST_PERMISSIONS),
          idle: undefined,
        };
        held.set(key, entry);
      }
      const current = entry;
      if (current.idle) clearTimeout(current.idle);
      current.idle = setTimeout(() => void drop(key, current), IDLE_MS);
      current.idle.unref();
      try {
        return (await current.token).token;
      } catch (err) {
        await drop(key, current);
        throw err;
      }
    },

    async revokeAll() {
      await Promise.all([...held].map(([key, entry]) => drop(key, entry)));
    },
  };
}
