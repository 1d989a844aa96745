import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";

import { commitFiles, initBareRepository, runGit } from "./git-repos.ts";
import { timestamp, type SimRepository, type SimulatorState } from "./state.ts";

export interface RepositorySeed {
  /** Defaults to the organisation the App is installed on. */
  owner?: string;
  name: string;
  private?: boolean;
  defaultBranch?: string;
  /** Files of the initial commit besides a README. */
  files?: Record<string, string>;
  /** Full name of the repository to fork; its branches are copied. */
  forkOf?: string;
  /** Defaults to whether the owner is the App's organisation. */
  installed?: boolean;
}

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Creates a repository: a bare git repository on disk with an initial
 * commit on its default branch (or a copy of the forked one's branches),
 * and its record in the simulator's state.
 */
export async function seedRepository(
  state: SimulatorState,
  gitRoot: string,
  seed: RepositorySeed,
): Promise<SimRepository> {
  const owner = seed.owner ?? state.installation.account;
  if (!SAFE_NAME.test(owner) || !SAFE_NAME.test(seed.name)) {
    throw new Error(
      `simulator: repository ${owner}/${seed.name} needs letters, digits, '.', '-' or '_' only`,
    );
  }
  if (state.findRepository(owner, seed.name)) {
    throw new Error(`simulator: repository ${owner}/${seed.name} exists`);
  }
  const parent = seed.forkOf ? state.repository(seed.forkOf) : null;
  const defaultBranch = seed.defaultBranch ?? parent?.defaultBranch ?? "main";
  const gitDir = path.join(gitRoot, owner, `${seed.name}.git`);
  await initBareRepository(gitDir, defaultBranch);

  if (parent) {
    await runGit(
      ["fetch", "--quiet", parent.gitDir, "+refs/heads/*:refs/heads/*"],
      { gitDir },
    );
  } else {
    await commitFiles(gitDir, {
      branch: defaultBranch,
      message: "Initial commit",
      files: { "README.md": `# ${seed.name}\n`, ...seed.files },
    });
  }

  state.user(owner);
  const repo: SimRepository = {
    id: state.nextId("repository"),
    owner,
    name: seed.name,
    fullName: `${owner}/${seed.name}`,
    private: seed.private ?? true,
    defaultBranch,
    installed:
      seed.installed ??
      owner.toLowerCase() === state.installation.account.toLowerCase(),
    forkOf: parent?.fullName ?? null,
    gitDir,
    collaborators: new Map(),
    protectedBranches: new Set(),
    createdAt: timestamp(),
  };
  state.repositories.set(repo.id, repo);
  return repo;
}

/**
 * Makes a branch refuse every push, as a protected branch refuses an App
 * without bypass rights; the refusal reaches the pusher's git client.
 */
export async function protectBranch(
  repo: SimRepository,
  branch: string,
): Promise<void> {
  repo.protectedBranches.add(branch);
  const list = [...repo.protectedBranches].map((b) => `refs/heads/${b}`);
  await writeFile(
    path.join(repo.gitDir, "protected-branches"),
    `${list.join("\n")}\n`,
  );
  const hook = path.join(repo.gitDir, "hooks", "pre-receive");
  await writeFile(
    hook,
    [
      "#!/bin/sh",
      "status=0",
      "while read old new ref; do",
      '  if grep -qxF "$ref" "$GIT_DIR/protected-branches"; then',
      '    echo "GH006: Protected branch update failed for $ref." >&2',
      "    status=1",
      "  fi",
      "done",
      "exit $status",
      "",
    ].join("\n"),
  );
  await chmod(hook, 0o755);
}
