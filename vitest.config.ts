import { defineConfig } from "vitest/config";

// Integration and end-to-end tests share one real Postgres started by the
// global setup; each test file gets its own database cloned from a migrated
// template. Docker-heavy files run two at a time on a two-core machine.
const slow = {
  globalSetup: [
    "test/support/global-postgres.ts",
    "test/support/global-runner-image.ts",
  ],
  testTimeout: 180_000,
  hookTimeout: 900_000,
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          ...slow,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          sequence: { groupOrder: 2 },
          ...slow,
        },
      },
    ],
  },
});
