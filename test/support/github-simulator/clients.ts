import { createProbot } from "probot";

import type { GitHubSimulator } from "./simulator.ts";

/**
 * Clients for tests that act against the simulator from outside: Probot
 * configured only through its standard GitHub Enterprise settings, and a
 * bare REST call with a given token, for checking what a token may do.
 */

export function probotFor(sim: GitHubSimulator, webhookSecret = "unused") {
  return createProbot({
    env: {
      ...sim.probotEnv,
      WEBHOOK_SECRET: webhookSecret,
      LOG_LEVEL: "fatal",
    },
  });
}

/** Mints an installation token through the App's JWT, as the app does. */
export async function mintInstallationToken(
  sim: GitHubSimulator,
  narrowing: {
    repositories?: string[];
    repository_ids?: number[];
    permissions?: Record<string, string>;
  } = {},
): Promise<string> {
  const app = await probotFor(sim).auth();
  const response = await app.request(
    "POST /app/installations/{installation_id}/access_tokens",
    { installation_id: sim.installationId, ...narrowing },
  );
  return response.data.token;
}

export interface RestAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
}

export async function restCall(
  sim: GitHubSimulator,
  token: string | null,
  method: string,
  route: string,
  body?: unknown,
  accept = "application/vnd.github+json",
): Promise<RestAnswer> {
  const response = await fetch(`${sim.apiUrl}${route}`, {
    method,
    headers: {
      accept,
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = response.headers.get("content-type")?.includes("json");
  return {
    status: response.status,
    headers: response.headers,
    body: text && isJson ? (JSON.parse(text) as unknown) : text || null,
  };
}
