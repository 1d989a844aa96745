import type { InstallationClient, RepoRef } from "../github/github-client.ts";
import {
  mergePolicy,
  type MergedPolicy,
  type OperatorSettings,
} from "./merge-policy.ts";
import { parsePolicyFile, type ParsedPolicy } from "./parse-policy-file.ts";
import type { PolicyFile } from "./policy-schema.ts";

export const POLICY_PATH = ".github/agent-sandbox.yml";

// GitHub's convention for organisation-wide files: a repository named
// `.github` in the organisation.
export const ORG_POLICY_REPO = ".github";

/**
 * Reads the organisation's and the repository's policy and combines them.
 * The repository's file is read from its default branch, never from the
 * branch of a pull request, so a change to the policy only counts once it
 * has been reviewed and merged.
 */
export async function loadPolicy(
  github: InstallationClient,
  ref: RepoRef,
  defaultBranch: string,
  operator: OperatorSettings,
): Promise<MergedPolicy> {
  const orgText =
    ref.repo === ORG_POLICY_REPO
      ? null
      : await github.getFile(
          { owner: ref.owner, repo: ORG_POLICY_REPO },
          POLICY_PATH,
        );
  const repoText = await github.getFile(ref, POLICY_PATH, defaultBranch);

  const org = parseOptional(
    orgText,
    `${ref.owner}/${ORG_POLICY_REPO}:${POLICY_PATH}`,
  );
  const repo = parseOptional(repoText, POLICY_PATH);
  const problems = [
    ...(org.ok ? [] : org.problems),
    ...(repo.ok ? [] : repo.problems),
  ];
  if (problems.length > 0) return { ok: false, problems };

  return mergePolicy(operator, policyOf(org), policyOf(repo));
}

function parseOptional(
  text: string | null,
  source: string,
): ParsedPolicy | { ok: true; policy: undefined } {
  if (text === null) return { ok: true, policy: undefined };
  return parsePolicyFile(text, source);
}

function policyOf(
  parsed: ParsedPolicy | { ok: true; policy: undefined },
): PolicyFile | undefined {
  return parsed.ok ? parsed.policy : undefined;
}
