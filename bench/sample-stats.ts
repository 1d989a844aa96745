// Summaries of timing samples shared by the benchmarks. An odd count of
// rounds gives a median that is one real sample.

/** The middle sample; of an even count, the upper of the two middles. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * The nearest-rank percentile: the smallest sample with at least the share
 * `q` (0 to 1) of all samples at or below it.
 */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.ceil(q * sorted.length));
  return sorted[Math.max(rank - 1, 0)] ?? Number.NaN;
}
