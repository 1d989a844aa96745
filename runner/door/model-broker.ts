import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import type { AuditSink, ModelUsage } from "../types.ts";
import {
  createModelAgents,
  forwardModelCall,
  type CallOutcome,
} from "./model-forward.ts";
import { createUsageLedger } from "./model-ledger.ts";
import {
  createProvider,
  type Provider,
  type ProviderSettings,
} from "./model-providers.ts";
import { routeModelRequest, type ProviderName } from "./model-route.ts";

// The model-API broker of one run. The sandbox calls `/model/anthropic/...`
// or `/model/openai/...` on its door with a placeholder key; the broker adds
// the real key on the host side, forwards, streams the answer back, and
// keeps the run's token account and budget.

export interface ModelBrokerOptions {
  providers: Partial<Record<ProviderName, ProviderSettings>>;
  /** Most tokens (input plus output) the run may use; no limit if absent. */
  tokenBudget?: number;
  onBudgetExceeded: () => void;
  log: Logger;
  audit: AuditSink;
}

export interface ModelBroker {
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  usage(): ModelUsage[];
  /** Ends open upstream connections and waits for the audit trail. */
  close(): Promise<void>;
}

const TOO_MANY_REQUESTS = 429;
const UNAVAILABLE = 503;

const KEY_SETTING: Record<ProviderName, string> = {
  anthropic: "ANTHROPIC_API_KEY",
  openai: "OPENAI_API_KEY",
};

function replyError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  const body = JSON.stringify({
    type: "error",
    error: { type, message: `agent-sandbox door: ${message}` },
  });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    // Provider SDKs retry 429s unless told not to; a spent budget does not
    // come back by waiting.
    "x-should-retry": "false",
  });
  res.end(body);
}

export function createModelBroker(options: ModelBrokerOptions): ModelBroker {
  const log = options.log.child({ component: "model-broker" });
  const providers = new Map<ProviderName, Provider>();
  for (const [name, settings] of Object.entries(options.providers)) {
    if (settings) {
      const provider = createProvider(name as ProviderName, settings);
      providers.set(provider.name, provider);
    }
  }
  const budget = options.tokenBudget;
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    throw new Error("RUN_TOKEN_BUDGET must be a whole number above 0");
  }

  const agents = createModelAgents();
  const pending = new Set<Promise<void>>();
  const audit = (kind: string, data: Record<string, unknown>) => {
    const done = options.audit
      .record(kind, data)
      .catch((err: unknown) => log.error({ err, kind }, "model audit failed"))
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  const ledger = createUsageLedger({
    tokenBudget: budget,
    onBudgetExceeded: () => {
      const used = ledger.total();
      log.info({ budget, used }, "model token budget spent");
      audit("model_budget_exceeded", { budget, used });
      options.onBudgetExceeded();
    },
  });

  const account = (name: ProviderName, path: string, out: CallOutcome) => {
    const tokens = out.tokens;
    const fields = {
      provider: name,
      path,
      status: out.status,
      model: tokens?.model ?? null,
      inputTokens: tokens?.inputTokens ?? 0,
      outputTokens: tokens?.outputTokens ?? 0,
      ...(out.error ? { error: out.error } : {}),
    };
    log.info(fields, "model call finished");
    audit("model_usage", fields);
    if (tokens) ledger.add(name, tokens);
  };

  return {
    async handleRequest(req, res) {
      const route = routeModelRequest(req.url ?? "");
      if (!route.ok) {
        replyError(res, route.status, "invalid_request_error", route.error);
        return;
      }
      const provider = providers.get(route.provider);
      if (!provider) {
        const setting = KEY_SETTING[route.provider];
        const message = `the ${route.provider} API is not configured on this door; set ${setting} where the app runs`;
        replyError(res, UNAVAILABLE, "not_configured", message);
        return;
      }
      if (ledger.exhausted()) {
        const message = `the run's token budget of ${budget} tokens is spent (${ledger.total()} used); raise RUN_TOKEN_BUDGET to allow more`;
        replyError(res, TOO_MANY_REQUESTS, "budget_exceeded", message);
        return;
      }

      try {
        const outcome = await forwardModelCall({
          req,
          res,
          provider,
          path: route.path,
          query: route.query,
          agents,
        });
        account(route.provider, route.path, outcome);
      } catch (err) {
        log.error({ err }, "model call failed");
        res.destroy();
      }
    },

    usage: () => ledger.usage(),

    async close() {
      agents.http.destroy();
      agents.https.destroy();
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
