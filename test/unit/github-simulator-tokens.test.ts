import { createSign } from "node:crypto";

import { describe, expect, it } from "vitest";

import { HttpError } from "../support/github-simulator/http.ts";
import { SimulatorState } from "../support/github-simulator/state.ts";
import {
  generateAppKeyPair,
  hasPermission,
  identifyCaller,
  mintToken,
} from "../support/github-simulator/tokens.ts";

const APP_ID = 99;
const { privateKeyPem, publicKey } = generateAppKeyPair();

function newState(): SimulatorState {
  const state = new SimulatorState(
    {
      id: 1,
      account: "acme",
      permissions: { contents: "write", issues: "write", metadata: "read" },
      events: [],
      createdAt: "2024-01-01T00:00:00Z",
    },
    { id: APP_ID, slug: "agent-sandbox", name: "Agent Sandbox" },
  );
  for (const name of ["widgets", "gadgets"]) {
    const id = state.nextId("repository");
    state.repositories.set(id, {
      id,
      owner: "acme",
      name,
      fullName: `acme/${name}`,
      private: true,
      defaultBranch: "main",
      installed: true,
      forkOf: null,
      gitDir: `/nonexistent/${name}.git`,
      collaborators: new Map(),
      protectedBranches: new Set(),
      createdAt: "2024-01-01T00:00:00Z",
    });
  }
  return state;
}

function jwt(claims: Record<string, unknown>, alg = "RS256"): string {
  const encode = (value: unknown) =>
    Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg, typ: "JWT" })}.${encode(claims)}`;
  const signature = createSign("RSA-SHA256")
    .update(unsigned)
    .sign(privateKeyPem)
    .toString("base64url");
  return `${unsigned}.${signature}`;
}

function refusal(header: string, state = newState()): string {
  try {
    identifyCaller(header, state, publicKey);
  } catch (err) {
    if (err instanceof HttpError) return `${err.status} ${err.message}`;
    throw err;
  }
  return "accepted";
}

const now = () => Math.floor(Date.now() / 1000);

describe("App JWT verification", () => {
  it("accepts a JWT shaped like Octokit's, with the id as number or string", () => {
    const claims = { iat: now() - 30, exp: now() + 570 };
    expect(refusal(`Bearer ${jwt({ ...claims, iss: APP_ID })}`)).toBe(
      "accepted",
    );
    expect(refusal(`bearer ${jwt({ ...claims, iss: String(APP_ID) })}`)).toBe(
      "accepted",
    );
  });

  it("refuses expired, too long, future, foreign, unsigned and tampered tokens", () => {
    const ok = { iat: now() - 30, exp: now() + 570, iss: APP_ID };
    const cases: Array<[string, string]> = [
      [
        jwt({ ...ok, exp: now() - 1 }),
        "'Expiration time' claim ('exp') must be",
      ],
      [jwt({ ...ok, exp: now() + 3600 }), "is too far in the future"],
      [jwt({ ...ok, iat: now() + 600 }), "'Issued at' claim ('iat')"],
      [jwt({ ...ok, iss: 12 }), "'Issuer' claim"],
      [jwt(ok, "HS256"), "could not be decoded"],
      [`${jwt(ok).slice(0, -4)}AAAA`, "could not be decoded"],
    ];
    for (const [token, message] of cases) {
      const answer = refusal(`Bearer ${token}`);
      expect(answer.startsWith("401 ")).toBe(true);
      expect(answer).toContain(message);
    }
  });

  it("answers an unknown token and a malformed header with 401", () => {
    expect(refusal("token ghs_unknown")).toBe("401 Bad credentials");
    expect(refusal("Basic abc def")).toBe("401 Bad credentials");
  });
});

describe("minting installation tokens", () => {
  it("narrows to named repositories and permissions and records the request", () => {
    const state = newState();
    const token = mintToken(state, {
      repositories: ["widgets"],
      permissions: { contents: "read" },
    });
    const widgets = state.repository("acme/widgets");
    expect(token.repositoryIds).toEqual([widgets.id]);
    expect(token.permissions).toEqual({ contents: "read" });
    expect(hasPermission(token, "contents", "read")).toBe(true);
    expect(hasPermission(token, "contents", "write")).toBe(false);
    expect(hasPermission(token, "issues", "read")).toBe(false);
    expect(hasPermission(token, "metadata", "read")).toBe(true);
    expect(identifyCaller(`token ${token.token}`, state, publicKey)).toEqual({
      kind: "installation",
      token,
    });
  });

  it("covers the whole installation when not narrowed", () => {
    const token = mintToken(newState(), {});
    expect(token.repositoryIds).toBeNull();
    expect(hasPermission(token, "issues", "write")).toBe(true);
  });

  it("refuses repositories and permissions the installation lacks", () => {
    const state = newState();
    for (const request of [
      { repositories: ["other"] },
      { repository_ids: [123] },
      { permissions: { workflows: "write" } },
      { permissions: { contents: "admin" } },
      { permissions: { contents: "owner" } },
      { repositories: "widgets" },
    ]) {
      expect(() => mintToken(state, request)).toThrow(HttpError);
    }
    expect(state.tokens).toEqual([]);
  });

  it("refuses a revoked or expired token", () => {
    const state = newState();
    const revoked = mintToken(state, {});
    revoked.revokedAt = new Date();
    const expired = mintToken(state, {});
    state.expireToken(expired.id);
    for (const token of [revoked, expired]) {
      expect(refusal(`token ${token.token}`, state)).toBe(
        "401 Bad credentials",
      );
    }
  });
});
