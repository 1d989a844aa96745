import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  type KeyObject,
} from "node:crypto";

import { HttpError, notFound, validationFailed } from "./http.ts";
import type {
  AccessLevel,
  Permissions,
  SimRepository,
  SimToken,
  SimulatorState,
} from "./state.ts";

/** GitHub refuses App JWTs that live longer than ten minutes. */
const MAX_JWT_LIFETIME_SECONDS = 10 * 60;
/** Clock drift GitHub tolerates on `iat` and `exp`. */
const CLOCK_SKEW_SECONDS = 60;
/** Installation tokens live for one hour. */
export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

const LEVELS: Record<AccessLevel, number> = { read: 1, write: 2, admin: 3 };

export type Caller =
  | { kind: "none" }
  | { kind: "app" }
  | { kind: "installation"; token: SimToken };

/** An RSA key pair for a test App, the private half as GitHub hands it out. */
export function generateAppKeyPair(): {
  privateKeyPem: string;
  publicKey: KeyObject;
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
  });
  const privateKeyPem = privateKey
    .export({ type: "pkcs1", format: "pem" })
    .toString();
  return { privateKeyPem, publicKey };
}

export function publicKeyOf(privateKeyPem: string): KeyObject {
  return createPublicKey(privateKeyPem);
}

/**
 * Who is calling: nobody, the App (a JWT signed with its key) or an
 * installation (a token minted here). Bad credentials answer 401 with the
 * messages GitHub uses, which `@octokit/auth-app` matches on.
 */
export function identifyCaller(
  header: string | undefined,
  state: SimulatorState,
  appKey: KeyObject,
): Caller {
  if (!header) return { kind: "none" };
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new HttpError(401, "Bad credentials");
  const credential = match[1];

  if (credential.split(".").length === 3) {
    verifyAppJwt(credential, state.app.id, appKey);
    return { kind: "app" };
  }
  return { kind: "installation", token: liveToken(credential, state) };
}

/** A token that exists, is not revoked and has not expired; else 401. */
export function liveToken(value: string, state: SimulatorState): SimToken {
  const token = state.findToken(value);
  if (!token || token.revokedAt || token.expiresAt.getTime() <= Date.now()) {
    throw new HttpError(401, "Bad credentials");
  }
  return token;
}

function verifyAppJwt(jwt: string, appId: number, key: KeyObject): void {
  const [headerPart = "", payloadPart = "", signaturePart = ""] =
    jwt.split(".");
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  if (!header || !payload || header.alg !== "RS256") {
    throw new HttpError(401, "A JSON web token could not be decoded");
  }
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    key,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signed) {
    throw new HttpError(401, "A JSON web token could not be decoded");
  }

  const now = Math.floor(Date.now() / 1000);
  const { iat, exp, iss } = payload;
  if (typeof iat !== "number" || iat > now + CLOCK_SKEW_SECONDS) {
    throw new HttpError(
      401,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
    );
  }
  if (typeof exp !== "number" || exp <= now) {
    throw new HttpError(
      401,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    );
  }
  if (exp > now + MAX_JWT_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
    throw new HttpError(
      401,
      "'Expiration time' claim ('exp') is too far in the future.",
    );
  }
  if (String(iss) !== String(appId)) {
    throw new HttpError(
      401,
      `'Issuer' claim ('iss') ${String(iss)} does not name this App (${appId}).`,
    );
  }
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(part, "base64url").toString("utf8"),
    );
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function requireApp(caller: Caller): void {
  if (caller.kind === "app") return;
  throw new HttpError(
    401,
    "A JSON web token could not be decoded: this endpoint needs the App's JWT, not an installation token.",
  );
}

export function requireInstallation(caller: Caller): SimToken {
  if (caller.kind === "installation") return caller.token;
  if (caller.kind === "none") {
    throw new HttpError(401, "Requires authentication");
  }
  throw new HttpError(
    403,
    "Resource not accessible by integration: use an installation token, not the App's JWT.",
  );
}

/**
 * A token reaches a repository only inside its installation and its
 * narrowing; outside, GitHub answers as if the repository did not exist.
 */
export function requireRepositoryAccess(
  token: SimToken,
  repo: SimRepository,
  state: SimulatorState,
): void {
  const inInstallation =
    repo.installed && token.installationId === state.installation.id;
  const inToken =
    token.repositoryIds === null || token.repositoryIds.includes(repo.id);
  if (!inInstallation || !inToken) throw notFound();
}

export function hasPermission(
  token: SimToken,
  name: string,
  level: AccessLevel,
): boolean {
  // Every installation token can read metadata, as on GitHub.
  if (name === "metadata" && level === "read") return true;
  const granted = token.permissions[name];
  return granted !== undefined && LEVELS[granted] >= LEVELS[level];
}

/** 403 unless the token holds one of the permissions at that level. */
export function requirePermission(
  token: SimToken,
  level: AccessLevel,
  ...names: string[]
): void {
  if (names.some((name) => hasPermission(token, name, level))) return;
  throw new HttpError(403, "Resource not accessible by integration", {
    required: names.map((name) => `${name}:${level}`),
  });
}

export interface TokenRequest {
  repositories?: unknown;
  repository_ids?: unknown;
  permissions?: unknown;
}

/**
 * Mints an installation token, narrowed as asked. As on GitHub, asking for a
 * repository outside the installation or a permission the installation lacks
 * is refused rather than silently trimmed.
 */
export function mintToken(
  state: SimulatorState,
  request: TokenRequest,
): SimToken {
  const installed = [...state.repositories.values()].filter((r) => r.installed);
  let repositoryIds: number[] | null = null;
  const requested: SimToken["requested"] = {};

  if (request.repositories !== undefined) {
    const names = stringArray(request.repositories, "repositories");
    requested.repositories = names;
    repositoryIds = names.map((name) => {
      const repo = installed.find(
        (candidate) => candidate.name.toLowerCase() === name.toLowerCase(),
      );
      if (!repo) throw inaccessibleRepository();
      return repo.id;
    });
  }
  if (request.repository_ids !== undefined) {
    const ids = numberArray(request.repository_ids, "repository_ids");
    requested.repository_ids = ids;
    for (const id of ids) {
      if (!installed.some((repo) => repo.id === id)) {
        throw inaccessibleRepository();
      }
    }
    repositoryIds = [...new Set([...(repositoryIds ?? []), ...ids])];
  }

  let permissions: Permissions = { ...state.installation.permissions };
  if (request.permissions !== undefined) {
    permissions = parsePermissions(request.permissions, state);
    requested.permissions = { ...permissions };
  }
  // A narrowed token reports exactly what was asked, as GitHub's documented
  // example does; metadata stays readable anyway (see hasPermission).

  const token: SimToken = {
    id: state.nextId("token"),
    token: `ghs_${randomBytes(27).toString("base64url").slice(0, 36)}`,
    installationId: state.installation.id,
    repositoryIds,
    permissions,
    requested,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS),
    revokedAt: null,
  };
  state.tokens.push(token);
  return token;
}

function parsePermissions(value: unknown, state: SimulatorState): Permissions {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw validationFailed([{ field: "permissions", code: "invalid" }]);
  }
  const permissions: Permissions = {};
  for (const [name, level] of Object.entries(value)) {
    const granted = state.installation.permissions[name];
    if (
      typeof level !== "string" ||
      !(level in LEVELS) ||
      granted === undefined ||
      LEVELS[level as AccessLevel] > LEVELS[granted]
    ) {
      throw new HttpError(
        422,
        "The permissions requested are not granted to this installation.",
      );
    }
    permissions[name] = level as AccessLevel;
  }
  return permissions;
}

function inaccessibleRepository(): HttpError {
  return new HttpError(
    422,
    "There is at least one repository that does not exist or is not accessible to the parent installation.",
  );
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw validationFailed([{ field, code: "invalid" }]);
  }
  return value as string[];
}

function numberArray(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v))) {
    throw validationFailed([{ field, code: "invalid" }]);
  }
  return value as number[];
}
