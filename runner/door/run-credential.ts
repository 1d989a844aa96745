import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// A run's credential for the door: 32 random bytes (256 bits), shown once to
// the sandbox and otherwise kept only as its SHA-256. A hash without a salt
// is enough here: the secret is random and long, not a password someone
// chose, so there is nothing to guess from the hash.

const TOKEN_BYTES = 32;
/** Lets the push gateway (and anyone's secret scanner) spot a leaked token. */
export const CREDENTIAL_PREFIX = "asbx_";
export const CREDENTIAL_PATTERN = /asbx_[A-Za-z0-9_-]{43}/;

export interface CredentialScope {
  runId: string;
  repository: string;
  /** The one branch the run may push, without `refs/heads/`. */
  branch: string;
}

/** What is kept of a credential: never the token itself. */
export interface StoredCredential extends CredentialScope {
  /** Hex SHA-256 of the token. */
  hash: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

export type CredentialVerdict =
  | { ok: true; scope: CredentialScope }
  | { ok: false; reason: "unknown" | "expired" | "revoked" };

/**
 * What the door is given to check a presented token against its run. It
 * never sees a database, only this function.
 */
export type CredentialCheck = (
  runId: string,
  presented: string,
) => Promise<CredentialVerdict>;

export interface IssuedCredential {
  /** Goes to the sandbox's environment and nowhere else. */
  token: string;
  stored: StoredCredential;
}

export function issueRunCredential(
  scope: CredentialScope,
  expiresAt: Date,
): IssuedCredential {
  const token =
    CREDENTIAL_PREFIX + randomBytes(TOKEN_BYTES).toString("base64url");
  return {
    token,
    stored: {
      ...scope,
      hash: hashCredential(token),
      expiresAt,
      revokedAt: null,
    },
  };
}

export function hashCredential(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Judges a presented token against what is stored for the run. The hashes
 * are compared in constant time, so the answer's timing says nothing about
 * how close a guess came.
 */
export function judgeCredential(
  stored: StoredCredential | null,
  presented: string,
  now: Date = new Date(),
): CredentialVerdict {
  const presentedHash = Buffer.from(hashCredential(presented), "hex");
  const storedHash = Buffer.from(stored?.hash ?? "", "hex");
  const matches =
    storedHash.length === presentedHash.length &&
    timingSafeEqual(storedHash, presentedHash);
  if (!stored || !matches) return { ok: false, reason: "unknown" };
  if (stored.revokedAt !== null) return { ok: false, reason: "revoked" };
  if (now.getTime() >= stored.expiresAt.getTime()) {
    return { ok: false, reason: "expired" };
  }
  const { runId, repository, branch } = stored;
  return { ok: true, scope: { runId, repository, branch } };
}

/**
 * A credential check for one run held in this process, for callers with no
 * database (a benchmark, a runner used as a library). The app's store keeps
 * the same record in Postgres instead.
 */
export function inProcessCredential(
  scope: CredentialScope,
  expiresAt: Date,
): { token: string; check: CredentialCheck; revoke(): void } {
  const { token, stored } = issueRunCredential(scope, expiresAt);
  return {
    token,
    check: async (runId, presented) =>
      judgeCredential(runId === stored.runId ? stored : null, presented),
    revoke: () => {
      stored.revokedAt ??= new Date();
    },
  };
}
