// The agents a policy can name, and how each one is started inside the
// sandbox: the shell command the entrypoint runs with `bash -c` in
// /workspace, and the variables that point the tool's model API at the
// door's broker. None of these variables is a secret: the key sent from the
// sandbox is a placeholder that the broker throws away and replaces.

/** The door as seen from inside the sandbox (the entrypoint's forwarder). */
export const DOOR_URL = "http://127.0.0.1:3128";

// Sent by the tools in place of a key; the broker strips it. It says what
// it is so that nobody mistakes it for a leaked credential.
export const PLACEHOLDER_API_KEY =
  "agent-sandbox-placeholder-key-added-by-the-door";

export const AGENT_PRESET_NAMES = ["claude-code", "codex", "command"] as const;

export type AgentPresetName = (typeof AGENT_PRESET_NAMES)[number];

export interface AgentPresetOptions {
  /** The shell command for `command`; refused for the other presets. */
  command?: string;
  /** A model name passed to the tool; its default when absent. */
  model?: string;
}

export interface AgentLaunch {
  command: string;
  agentEnv: Record<string, string>;
}

export type AgentPresetResult =
  { ok: true; launch: AgentLaunch } | { ok: false; error: string };

// The task is long free text written by the entrypoint to a file; reading it
// inside the command keeps it out of the command line we build here.
const TASK = '"$(cat "$AGENT_TASK_FILE")"';

// Model names go into a shell command, so only plain names are accepted.
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function isAgentPreset(name: string): name is AgentPresetName {
  return (AGENT_PRESET_NAMES as readonly string[]).includes(name);
}

function claudeCode(model: string | undefined): AgentLaunch {
  const flags = model ? ` --model ${model}` : "";
  return {
    command: `claude -p ${TASK} --dangerously-skip-permissions${flags}`,
    agentEnv: {
      ANTHROPIC_BASE_URL: `${DOOR_URL}/model/anthropic`,
      ANTHROPIC_API_KEY: PLACEHOLDER_API_KEY,
      // Update checks, telemetry and error reports would only be refused by
      // the door's egress policy; turning them off keeps the record clean.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
    },
  };
}

// Codex's built-in OpenAI provider ignores OPENAI_BASE_URL and prefers a
// WebSocket transport; a provider of our own, defined on the command line,
// sends plain HTTPS Responses API calls to the broker.
const CODEX_PROVIDER = [
  "-c model_provider=agent_sandbox",
  `-c 'model_providers.agent_sandbox={name="agent-sandbox door",base_url="${DOOR_URL}/model/openai/v1",env_key="OPENAI_API_KEY",wire_api="responses"}'`,
].join(" ");

function codex(model: string | undefined): AgentLaunch {
  const flags = model ? ` --model ${model}` : "";
  // The container is the sandbox; Codex's own one needs kernel features an
  // unprivileged container does not grant.
  return {
    command: `codex exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox ${CODEX_PROVIDER}${flags} ${TASK}`,
    agentEnv: {
      OPENAI_BASE_URL: `${DOOR_URL}/model/openai/v1`,
      OPENAI_API_KEY: PLACEHOLDER_API_KEY,
    },
  };
}

/**
 * The launch for a preset. `command` is the custom one: the given shell
 * command, with both brokers' variables so that any compatible tool works.
 */
export function agentPreset(
  name: string,
  options: AgentPresetOptions = {},
): AgentPresetResult {
  if (!isAgentPreset(name)) {
    return {
      ok: false,
      error: `unknown agent preset ${JSON.stringify(name.slice(0, 40))}; use one of ${AGENT_PRESET_NAMES.join(", ")}`,
    };
  }
  const { command, model } = options;
  if (model !== undefined && !MODEL_NAME.test(model)) {
    return {
      ok: false,
      error: `model ${JSON.stringify(model.slice(0, 40))} is not a plain model name (letters, digits, . _ : -)`,
    };
  }
  if (name !== "command" && command !== undefined) {
    return {
      ok: false,
      error: `the ${name} preset runs its own command; use the command preset for a custom one`,
    };
  }
  if (name === "claude-code") return { ok: true, launch: claudeCode(model) };
  if (name === "codex") return { ok: true, launch: codex(model) };

  if (command === undefined || command.trim() === "") {
    return {
      ok: false,
      error: "the command preset needs the shell command to run",
    };
  }
  const agentEnv = {
    ...claudeCode(undefined).agentEnv,
    ...codex(undefined).agentEnv,
  };
  return { ok: true, launch: { command, agentEnv } };
}
