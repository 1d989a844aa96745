// Every git the host runs works on host-owned repositories, with an
// environment built from scratch: no system or user config (no credential
// helpers, filters or aliases of the host leak in), no hooks (the host never
// runs code that arrived with a repository; even a fetch runs the
// `reference-transaction` hook), no replace refs (they would let a
// repository show a different history than it holds), no automatic gc
// (objects that clones borrow must never be pruned), no prompts.
const ALWAYS: Record<string, string> = {
  "core.hooksPath": "/dev/null",
  "gc.auto": "0",
  "core.fsmonitor": "false",
  "uploadpack.allowAnySHA1InWant": "false",
};

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface GitEnvironmentOptions {
  /** Per-call configuration, such as an authorization header. */
  config?: Record<string, string>;
  /** Extra variables such as `GIT_PROTOCOL`. */
  env?: Record<string, string>;
}

/**
 * The environment for one git process. Configuration travels in
 * `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` rather than
 * `-c` arguments: both keep credentials off the disk, but a process's
 * environment is readable only by its owner while its command line is
 * visible to every local user through `ps`.
 */
export function gitEnvironment(
  options: GitEnvironmentOptions = {},
): NodeJS.ProcessEnv {
  const config = { ...ALWAYS, ...options.config };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? DEFAULT_PATH,
    HOME: "/nonexistent",
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_NO_REPLACE_OBJECTS: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_COUNT: String(Object.keys(config).length),
    ...options.env,
  };
  Object.entries(config).forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}
