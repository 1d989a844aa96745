import { describe, expect, it } from "vitest";

import { isAppError } from "../../app/errors/app-error.ts";
import {
  refNameProblem,
  validateAgentBranch,
  validateBaseRef,
} from "../../runner/workspace/ref-names.ts";

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isAppError(error) ? error.code : "not an AppError";
  }
  return undefined;
}

describe("validateAgentBranch", () => {
  it.each(["agent/fix-login", "agent/issue-42/retry", "agent/a.b_c"])(
    "accepts %s",
    (branch) => {
      expect(validateAgentBranch(branch)).toBe(branch);
    },
  );

  it.each([
    ["main", 'no "/"'],
    ["feature/x", "agent/"],
    ["agent/", 'starts or ends with "/"'],
    ["agent//x", '"//"'],
    ["agent/../main", '".."'],
    ["agent/x.lock", '".lock"'],
    ["agent/.hidden", 'starts with "."'],
    ["agent/x.", 'ends with "."'],
    ["agent/a b", "space"],
    ["agent/a\tb", "control"],
    ["agent/caf\u00e9", "non-ASCII"],
    ["agent/x~1", '"~"'],
    ["agent/x^", '"^"'],
    ["agent/x:y", '":"'],
    ["agent/x?", '"?"'],
    ["agent/x*", '"*"'],
    ["agent/x[", '"["'],
    ["agent/x\\y", '"\\"'],
    ["agent/x@{1}", '"@{"'],
    ["refs/heads/agent/x", "agent/"],
    ["agent/" + "x".repeat(300), "longer than"],
  ])("refuses %j, saying %s", (branch, reason) => {
    expect(codeOf(() => validateAgentBranch(branch))).toBe(
      "BRANCH_NAME_INVALID",
    );
    expect(() => validateAgentBranch(branch)).toThrow(reason);
  });
});

describe("validateBaseRef", () => {
  it.each([
    "main",
    "HEAD",
    "v1.2.3",
    "release/2024",
    "refs/heads/main",
    "0123456789abcdef0123456789abcdef01234567",
    "abc1234",
  ])("accepts %s", (ref) => {
    expect(validateBaseRef(ref)).toBe(ref);
  });

  it.each(["", "main..other", "HEAD~1", "main^", "@", "-x", "--upload-pack=x"])(
    "refuses %j",
    (ref) => {
      expect(codeOf(() => validateBaseRef(ref))).toBe("BASE_REF_INVALID");
    },
  );
});

describe("refNameProblem", () => {
  it("allows one-level names only when asked", () => {
    expect(refNameProblem("main", { allowOneLevel: true })).toBeNull();
    expect(refNameProblem("main", { allowOneLevel: false })).toMatch("/");
  });
});
