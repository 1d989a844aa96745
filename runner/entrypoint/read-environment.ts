// What the host hands the entrypoint, read once and checked before anything
// runs, so a misconfigured sandbox fails with a message instead of halfway.

export interface EntrypointEnv {
  task: string;
  command: string;
  branch: string;
  baseSha: string;
  repository: string;
  doorToken: string;
  doorPort: number;
  home: string;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// The forms git accepts as a branch are wider, but the host only ever makes
// `agent/<slug>` names; anything else here means the sandbox was misbuilt.
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

export function readEnvironment(
  env: Record<string, string | undefined>,
): EntrypointEnv {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === "") {
      problems.push(`${name} is not set`);
      return "";
    }
    return value;
  };

  const values: EntrypointEnv = {
    task: env.AGENT_TASK ?? "",
    command: required("AGENT_COMMAND"),
    branch: required("AGENT_BRANCH"),
    baseSha: required("AGENT_BASE_SHA"),
    repository: required("AGENT_REPOSITORY"),
    doorToken: required("AGENT_DOOR_TOKEN"),
    doorPort: Number(required("AGENT_DOOR_PORT")),
    home: required("HOME"),
  };

  if (
    values.branch &&
    (!BRANCH.test(values.branch) || values.branch.includes(".."))
  ) {
    problems.push(
      `AGENT_BRANCH ${JSON.stringify(values.branch)} is not a branch name`,
    );
  }
  if (values.baseSha && !SHA.test(values.baseSha)) {
    problems.push("AGENT_BASE_SHA is not a full commit id");
  }
  if (
    values.repository &&
    (!REPOSITORY.test(values.repository) || values.repository.includes(".."))
  ) {
    problems.push("AGENT_REPOSITORY is not a repository name");
  }
  if (
    !Number.isInteger(values.doorPort) ||
    values.doorPort < 1 ||
    values.doorPort > 65535
  ) {
    problems.push("AGENT_DOOR_PORT is not a port number");
  }
  if (problems.length > 0) {
    throw new Error(
      `sandbox environment is incomplete: ${problems.join("; ")}`,
    );
  }
  return values;
}
