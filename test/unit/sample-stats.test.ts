import { describe, expect, it } from "vitest";

import { median, percentile } from "../../bench/sample-stats.ts";

describe("median", () => {
  it("takes the middle sample whatever the order", () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it("takes the upper middle of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(3);
  });

  it("is not a number for no samples", () => {
    expect(median([])).toBeNaN();
  });
});

describe("percentile", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);

  it("takes the nearest rank", () => {
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 1)).toBe(100);
  });

  it("takes the lowest sample for a share of zero", () => {
    expect(percentile([3, 2, 7], 0)).toBe(2);
  });

  it("is not a number for no samples", () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});
