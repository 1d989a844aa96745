import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

/**
 * The settings in `.env` under `cwd`, beneath the real environment: a
 * variable already set wins. This is where the App's manifest flow saves
 * the credentials GitHub hands back, so a restart picks them up.
 */
export function withEnvFile(
  env: Record<string, string | undefined>,
  cwd: string,
): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path.join(cwd, ".env"), "utf8");
  } catch {
    return env;
  }
  return { ...parseEnv(text), ...definedOnly(env) };
}

function definedOnly(
  env: Record<string, string | undefined>,
): Record<string, string> {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) defined[key] = value;
  }
  return defined;
}
