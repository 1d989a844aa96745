import type { ModelUsage } from "../types.ts";
import type { ProviderName } from "./model-route.ts";
import type { TokenCount } from "./model-usage.ts";

// The run's token totals per provider and its budget. The budget is the
// most tokens the run may use: once the total reaches it, the owner is told
// once (the run is then stopped as `budget_exceeded`) and every later call
// is refused before it reaches a provider.

export interface UsageLedger {
  add(provider: ProviderName, tokens: TokenCount): void;
  exhausted(): boolean;
  total(): number;
  usage(): ModelUsage[];
}

export interface LedgerOptions {
  tokenBudget: number | undefined;
  onBudgetExceeded: () => void;
}

export function createUsageLedger(options: LedgerOptions): UsageLedger {
  const totals = new Map<ProviderName, ModelUsage>();
  let spent = false;

  const total = () => {
    let sum = 0;
    for (const entry of totals.values()) {
      sum += entry.inputTokens + entry.outputTokens;
    }
    return sum;
  };

  return {
    add(provider, tokens) {
      const entry = totals.get(provider) ?? {
        provider,
        inputTokens: 0,
        outputTokens: 0,
      };
      entry.inputTokens += tokens.inputTokens;
      entry.outputTokens += tokens.outputTokens;
      totals.set(provider, entry);

      const budget = options.tokenBudget;
      if (spent || budget === undefined || total() < budget) return;
      spent = true;
      options.onBudgetExceeded();
    },

    exhausted: () => spent,

    total,

    usage: () => [...totals.values()].map((entry) => ({ ...entry })),
  };
}
