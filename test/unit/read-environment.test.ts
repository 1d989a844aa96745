import { describe, expect, it } from "vitest";

import { readEnvironment } from "../../runner/entrypoint/read-environment.ts";

const complete = {
  AGENT_TASK: "Fix it",
  AGENT_COMMAND: "make fix",
  AGENT_BRANCH: "agent/fix-it",
  AGENT_BASE_SHA: "0123456789abcdef0123456789abcdef01234567",
  AGENT_REPOSITORY: "octo/widgets",
  AGENT_DOOR_TOKEN: "credential",
  AGENT_DOOR_PORT: "3128",
  HOME: "/tmp/home",
};

describe("readEnvironment", () => {
  it("reads what the container spec hands over", () => {
    expect(readEnvironment(complete)).toEqual({
      task: "Fix it",
      command: "make fix",
      branch: "agent/fix-it",
      baseSha: complete.AGENT_BASE_SHA,
      repository: "octo/widgets",
      doorToken: "credential",
      doorPort: 3128,
      home: "/tmp/home",
    });
  });

  it("lists every problem at once", () => {
    const env = {
      ...complete,
      AGENT_COMMAND: "",
      AGENT_BRANCH: "../main",
      AGENT_BASE_SHA: "HEAD",
      AGENT_DOOR_PORT: "99999",
      AGENT_REPOSITORY: "octo/../../etc",
    };
    expect(() => readEnvironment(env)).toThrow(
      /AGENT_COMMAND is not set; AGENT_BRANCH ".*" is not a branch name; AGENT_BASE_SHA is not a full commit id; AGENT_REPOSITORY is not a repository name; AGENT_DOOR_PORT is not a port number/,
    );
  });
});
