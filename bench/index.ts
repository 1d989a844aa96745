// `npm run bench [name...]`: each benchmark measures our path and a
// baseline in the same process and reports their ratio against a target.
// Ratios, not timings, so the figures mean the same on any machine.

import { dispatchBench } from "./dispatch-bench.ts";
import { egressBench } from "./egress-bench.ts";
import { gatewayBench } from "./gateway-bench.ts";
import { webhookBench } from "./webhook-bench.ts";
import { workspaceBench } from "./workspace-bench.ts";

export interface BenchResult {
  name: string;
  ratio: number;
  details: Record<string, unknown>;
}

interface Bench {
  name: string;
  target: string;
  meets: (ratio: number) => boolean;
  run: () => Promise<BenchResult>;
}

const benches: Bench[] = [
  {
    name: "dispatch",
    target: "<= 1.5x a plain docker run",
    meets: (r) => r <= 1.5,
    run: dispatchBench,
  },
  {
    name: "workspace",
    target: "<= 0.2x a plain clone",
    meets: (r) => r <= 0.2,
    run: workspaceBench,
  },
  {
    name: "gateway",
    target: "<= 1.3x a direct push",
    meets: (r) => r <= 1.3,
    run: gatewayBench,
  },
  {
    name: "egress",
    target: ">= 0.5x direct throughput",
    meets: (r) => r >= 0.5,
    run: egressBench,
  },
  {
    name: "webhook",
    target: "p99 <= 3x a bare handler",
    meets: (r) => r <= 3,
    run: webhookBench,
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !benches.some((b) => b.name === w));
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown benchmark(s): ${unknown.join(", ")}. Known: ${benches.map((b) => b.name).join(", ")}\n`,
  );
  process.exit(2);
}

let missed = 0;
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  const result = await bench.run();
  const ok = bench.meets(result.ratio);
  if (!ok) missed += 1;
  process.stdout.write(
    `${JSON.stringify({
      ...result.details,
      bench: bench.name,
      ratio: Number(result.ratio.toFixed(3)),
      target: bench.target,
      met: ok,
    })}\n`,
  );
}
process.exitCode = missed === 0 ? 0 : 1;
