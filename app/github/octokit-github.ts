import { ProbotOctokit } from "probot";

import type { Logger } from "../log/logger.ts";
import type {
  GitHubApp,
  InstallationClient,
  RepoRef,
  TokenPermissions,
} from "./github-client.ts";
import {
  installationClient,
  NOT_FOUND,
  statusOf,
} from "./octokit-installation-client.ts";
import { createRepositoryTokens } from "./repository-tokens.ts";

// GitHub's answer to a token request for a repository it will not name.
const UNPROCESSABLE = 422;

export interface OctokitGitHubOptions {
  appId: string;
  privateKey: string;
  /** REST base: `https://api.github.com` or `<proto>://<GHE_HOST>/api/v3`. */
  apiBaseUrl: string;
  /** Web base for git: `https://github.com` or `<proto>://<GHE_HOST>`. */
  webBaseUrl: string;
  log: Logger;
}

/** The base URLs for github.com or a GitHub Enterprise Server host. */
export function githubUrls(
  gheHost: string | undefined,
  protocol: "http" | "https",
): { apiBaseUrl: string; webBaseUrl: string } {
  if (!gheHost) {
    return {
      apiBaseUrl: "https://api.github.com",
      webBaseUrl: "https://github.com",
    };
  }
  return {
    apiBaseUrl: `${protocol}://${gheHost}/api/v3`,
    webBaseUrl: `${protocol}://${gheHost}`,
  };
}

/**
 * The one place Octokit is used. Narrowed tokens are minted with a direct
 * `POST /app/installations/{id}/access_tokens` through the app client's own
 * `request`: that request carries the configured base URL, whereas
 * `octokit.auth({ type: "installation", ... })` in Probot 14.3 sends the
 * token request to api.github.com even when GHE_HOST is set.
 */
export function createOctokitGitHub(options: OctokitGitHubOptions): GitHubApp {
  const log = options.log.child({ component: "octokit" });
  const make = (auth: Record<string, unknown>) =>
    new ProbotOctokit({
      auth,
      baseUrl: options.apiBaseUrl,
      log,
      throttle: { enabled: false },
    });
  const app = make({ appId: options.appId, privateKey: options.privateKey });
  const installations = new Map<number, InstallationClient>();
  let slug: Promise<string> | undefined;

  const mintToken: GitHubApp["mintToken"] = async (
    installationId,
    repositories,
    permissions,
  ) => {
    const response = await app.request(
      "POST /app/installations/{installation_id}/access_tokens",
      {
        installation_id: installationId,
        repositories,
        permissions: permissions as TokenPermissions,
      },
    );
    return {
      token: response.data.token,
      expiresAt: response.data.expires_at,
    };
  };
  const revokeToken = async (token: string) => {
    await make({ token }).request("DELETE /installation/token");
  };
  // GitHub refuses to mint for a repository the installation cannot see
  // (absent, or not installed) with 422; to the calls made with the token
  // that is the same as the repository answering 404.
  const repositoryToken = async (installationId: number, ref: RepoRef) => {
    try {
      return await tokens.tokenFor(installationId, ref);
    } catch (err) {
      if (statusOf(err) !== UNPROCESSABLE) throw err;
      throw Object.assign(
        new Error(`${ref.owner}/${ref.repo} is not accessible`, {
          cause: err,
        }),
        { status: NOT_FOUND },
      );
    }
  };
  const tokens = createRepositoryTokens(
    (installationId, repository, permissions) =>
      mintToken(installationId, [repository], permissions),
    revokeToken,
  );

  return {
    installation(installationId) {
      let client = installations.get(installationId);
      if (!client) {
        client = installationClient(async (ref) =>
          make({ token: await repositoryToken(installationId, ref) }),
        );
        installations.set(installationId, client);
      }
      return client;
    },

    mintToken,
    revokeToken,

    close: () => tokens.revokeAll(),

    botLogin() {
      slug ??= app.request("GET /app").then(({ data }) => {
        if (!data?.slug) throw new Error("GET /app returned no slug");
        return `${data.slug}[bot]`;
      });
      return slug;
    },

    gitUrl(fullName) {
      return `${options.webBaseUrl}/${fullName}.git`;
    },
  };
}
