import { createHmac, randomUUID } from "node:crypto";

import { ENTERPRISE_VERSION } from "./http.ts";

export interface WebhookDelivery {
  event: string;
  payload: unknown;
  secret: string;
  /** Defaults to a fresh UUID, as GitHub's are. */
  deliveryId?: string;
  /** Sent instead of `JSON.stringify(payload)`, to test tampering. */
  rawBody?: string;
  /** Sent instead of the computed signature, to test forgery. */
  signature?: string;
}

export interface WebhookResponse {
  status: number;
  body: string;
  deliveryId: string;
  durationMs: number;
}

/** GitHub's `X-Hub-Signature-256`: HMAC-SHA256 of the exact body bytes. */
export function signWebhookBody(secret: string, body: string): string {
  const digest = createHmac("sha256", secret).update(body).digest("hex");
  return `sha256=${digest}`;
}

/**
 * Delivers a webhook the way GitHub Enterprise Server does: a JSON POST with
 * the event, delivery id and signature headers.
 */
export async function sendWebhook(
  targetUrl: string,
  delivery: WebhookDelivery,
): Promise<WebhookResponse> {
  const body = delivery.rawBody ?? JSON.stringify(delivery.payload);
  const deliveryId = delivery.deliveryId ?? randomUUID();
  const target = new URL(targetUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(target.hostname)) {
    throw new Error(
      `sendWebhook: ${targetUrl} is not on loopback; test traffic stays on this machine`,
    );
  }
  const started = performance.now();
  const response = await fetch(target, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/simulator",
      "x-github-event": delivery.event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256":
        delivery.signature ?? signWebhookBody(delivery.secret, body),
      "x-github-enterprise-version": ENTERPRISE_VERSION,
      "x-github-enterprise-host": target.host,
      "x-github-hook-installation-target-type": "integration",
    },
    body,
  });
  return {
    status: response.status,
    body: await response.text(),
    deliveryId,
    durationMs: performance.now() - started,
  };
}
