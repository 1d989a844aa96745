import type { OutgoingHttpHeaders } from "node:http";

import type { ProviderName } from "./model-route.ts";

// The model providers the door holds keys for. A key lives only inside the
// `authorize` closure: no object the broker builds carries it as a field, so
// logging or serialising one can never print it.

export interface ProviderSettings {
  baseUrl: string;
  apiKey: string;
}

export interface Provider {
  name: ProviderName;
  base: URL;
  /** Adds the provider's key to upstream request headers. */
  authorize(headers: OutgoingHttpHeaders): void;
}

// Headers by which a caller could pass its own credential, or choose whose
// account is billed. The sandbox never decides either.
export const CALLER_CREDENTIAL_HEADERS = [
  "x-api-key",
  "authorization",
  "proxy-authorization",
  "cookie",
  "openai-organization",
  "openai-project",
];

const ENV_NAMES: Record<ProviderName, string> = {
  anthropic: "ANTHROPIC",
  openai: "OPENAI",
};

// A key with a control character would split the header it is put in.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export function createProvider(
  name: ProviderName,
  settings: ProviderSettings,
): Provider {
  const env = ENV_NAMES[name];
  let base: URL;
  try {
    base = new URL(settings.baseUrl);
  } catch {
    throw new Error(
      `${env}_BASE_URL is not a URL; set it to the provider's base URL, such as https://api.example.com`,
    );
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error(`${env}_BASE_URL must start with https:// (or http://)`);
  }
  if (base.username || base.password || base.search || base.hash) {
    throw new Error(
      `${env}_BASE_URL must not hold credentials, a query or a fragment; the key goes in ${env}_API_KEY`,
    );
  }
  const key = settings.apiKey;
  if (typeof key !== "string" || !HEADER_SAFE.test(key)) {
    throw new Error(
      `${env}_API_KEY is empty or holds spaces or control characters; set it to the key exactly as the provider issued it`,
    );
  }

  const authorize =
    name === "anthropic"
      ? (headers: OutgoingHttpHeaders) => {
          headers["x-api-key"] = key;
        }
      : (headers: OutgoingHttpHeaders) => {
          headers.authorization = `Bearer ${key}`;
        };
  return { name, base, authorize };
}
