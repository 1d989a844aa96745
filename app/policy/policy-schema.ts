import { z } from "zod";

// The shape of `.github/agent-sandbox.yml`, the same for a repository and for
// its organisation's `.github` repository. Unknown keys are errors: a typo in
// a security setting must not be silently ignored.

export const PRESETS = ["claude-code", "codex", "command"] as const;
export type Preset = (typeof PRESETS)[number];

export const PERMISSIONS = ["write", "maintain", "admin"] as const;
export type TriggerPermission = (typeof PERMISSIONS)[number];

const MiB = 1024 * 1024;
const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
const BYTES: Record<string, number> = {
  m: MiB,
  mi: MiB,
  mib: MiB,
  mb: MiB,
  g: 1024 * MiB,
  gi: 1024 * MiB,
  gib: 1024 * MiB,
  gb: 1024 * MiB,
};

const timeout = z
  .union([z.number(), z.string()], {
    error: 'expected seconds, or a duration such as "90s", "20m" or "1h"',
  })
  .transform((value, ctx) => {
    const match =
      typeof value === "number" ? null : /^(\d+)\s*([smh])$/i.exec(value);
    const seconds =
      typeof value === "number"
        ? value
        : match
          ? Number(match[1]) * (SECONDS[match[2]!.toLowerCase()] ?? NaN)
          : NaN;
    if (!Number.isInteger(seconds) || seconds <= 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected a positive duration such as "90s", "20m" or "1h", found ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return seconds;
  });

const memory = z
  .union([z.number(), z.string()], {
    error: 'expected MiB, or a size such as "512Mi" or "2Gi"',
  })
  .transform((value, ctx) => {
    const match =
      typeof value === "number"
        ? null
        : /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value);
    const bytes =
      typeof value === "number"
        ? value * MiB
        : match
          ? Number(match[1]) * (BYTES[match[2]!.toLowerCase()] ?? NaN)
          : NaN;
    if (!Number.isFinite(bytes) || bytes < 64 * MiB) {
      ctx.addIssue({
        code: "custom",
        message: `expected a size of at least 64Mi such as "512Mi" or "2Gi", found ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return Math.floor(bytes);
  });

const cpus = z
  .number({ error: "expected a number of CPUs such as 1 or 0.5" })
  .positive("expected a number of CPUs above 0")
  .max(64, "expected at most 64 CPUs");

// A preset name (`npm`), a host with an optional port, an IP address or a
// range. The door's own reader (`expandEgressAllow`) checks each entry in
// depth when the policies are merged; here only the shape.
const allowEntry = z
  .string()
  .min(1, "expected a preset name or a host")
  .max(253, "expected at most 253 characters")
  .regex(/^\S+$/, "expected a preset name or a host without spaces");

const glob = z
  .string()
  .min(1, "expected a non-empty glob")
  .max(500)
  .refine((value) => !value.startsWith("!"), {
    message: "negated globs cannot unprotect paths; list only what to protect",
  });

export const policyFileSchema = z.strictObject({
  agent: z
    .strictObject({
      preset: z.enum(PRESETS, {
        error: `expected one of ${PRESETS.join(", ")}`,
      }),
      command: z
        .string()
        .min(1, "expected a shell command")
        .max(4000, "expected at most 4000 characters"),
    })
    .partial()
    .optional(),
  limits: z.strictObject({ timeout, memory, cpus }).partial().optional(),
  trigger: z
    .strictObject({
      minPermission: z.enum(PERMISSIONS, {
        error: `expected one of ${PERMISSIONS.join(", ")}`,
      }),
    })
    .partial()
    .optional(),
  protectedPaths: z.array(glob).max(200).optional(),
  network: z
    .strictObject({ allow: z.array(allowEntry).max(200) })
    .partial()
    .optional(),
  pullRequests: z
    .strictObject({
      allowForks: z.boolean({ error: "expected true or false" }),
    })
    .partial()
    .optional(),
});

export type PolicyFile = z.output<typeof policyFileSchema>;
