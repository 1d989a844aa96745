import { resolveBranch, runGit } from "./git-repos.ts";
import type { SimRepository, SimulatorState } from "./state.ts";

/**
 * Keeps `refs/pull/<n>/head` in each base repository pointing at the head
 * of every open pull request, as GitHub does, so a pull request from a fork
 * can be fetched from the base repository.
 */
export async function syncPullRefs(
  state: SimulatorState,
  changed: SimRepository,
): Promise<void> {
  const open = state.issues.filter(
    (issue) =>
      issue.pull !== null &&
      issue.state === "open" &&
      (issue.pull.headRepositoryId === changed.id ||
        issue.repositoryId === changed.id),
  );
  for (const pull of open) {
    if (!pull.pull) continue;
    const base = state.repositoryById(pull.repositoryId);
    const head = state.repositoryById(pull.pull.headRepositoryId);
    const sha = await resolveBranch(head.gitDir, pull.pull.headRef);
    if (!sha) continue;
    const ref = `refs/pull/${pull.number}/head`;
    if (head.id !== base.id) {
      const source = `+refs/heads/${pull.pull.headRef}:${ref}`;
      await runGit(["fetch", "--quiet", head.gitDir, source], {
        gitDir: base.gitDir,
      });
    } else {
      await runGit(["update-ref", ref, sha], { gitDir: base.gitDir });
    }
  }
}
