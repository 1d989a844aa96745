import { spawn } from "node:child_process";

import { doorRemoteUrl, git, WORKSPACE } from "./git-setup.ts";
import type { EntrypointEnv } from "./read-environment.ts";

export type Delivery = "pushed" | "nothing_to_push" | "failed";

// The agent's own hooks never run on our commit and push: the agent had its
// chance to run anything while it worked, and a hook must not be able to
// turn a finished run into a failed delivery.
const NO_HOOKS = ["-c", "core.hooksPath=/dev/null"];

/**
 * Commits whatever the agent left uncommitted, then pushes HEAD to the
 * scoped branch through the door if HEAD moved from the base. The door
 * decides whether the push is accepted; this only reports what git said.
 */
export async function deliverWork(env: EntrypointEnv): Promise<Delivery> {
  const status = await git(["status", "--porcelain", "--untracked-files=all"]);
  if (status.trim() !== "") {
    await git(["add", "--all"]);
    await git([
      ...NO_HOOKS,
      "commit",
      "--quiet",
      "--no-verify",
      "--message",
      "Changes left uncommitted by the agent",
    ]);
  }

  const head = (await git(["rev-parse", "HEAD"])).trim();
  if (head === env.baseSha) return "nothing_to_push";

  // Pushed to the door's URL rather than whatever `origin` now says: the
  // agent may have rewritten its own remote configuration.
  const code = await streamGit([
    ...NO_HOOKS,
    "push",
    "--no-verify",
    doorRemoteUrl(env),
    `HEAD:refs/heads/${env.branch}`,
  ]);
  return code === 0 ? "pushed" : "failed";
}

/** Runs git with its progress and the door's answer shown to the user. */
function streamGit(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("git", args, {
      cwd: WORKSPACE,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", () => resolve(1));
    child.on("close", (code) => resolve(code ?? 1));
  });
}
