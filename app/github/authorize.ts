import { rank } from "../policy/merge-policy.ts";
import type { TriggerPermission } from "../policy/policy-schema.ts";
import type {
  InstallationClient,
  RepoPermission,
  RepoRef,
} from "./github-client.ts";

export interface Authorization {
  allowed: boolean;
  permission: RepoPermission;
}

/**
 * Asks GitHub for the person's permission on the repository through the
 * collaborator-permission API. `author_association` is not used: it says
 * how someone is related to the repository, not what they may change, and
 * an organisation member with read access shows as MEMBER.
 */
export async function authorize(
  github: InstallationClient,
  ref: RepoRef,
  login: string,
  minimum: TriggerPermission,
): Promise<Authorization> {
  const permission = await github.getPermission(ref, login);
  return { allowed: meets(permission, minimum), permission };
}

export function meets(
  permission: RepoPermission,
  minimum: TriggerPermission,
): boolean {
  // triage, read and none rank below every trigger permission.
  const held = rank(permission);
  return held >= 0 && held >= rank(minimum);
}
