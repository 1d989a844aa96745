import {
  commitMessage,
  describePath,
  listTree,
  readBlob,
  resolveBranch,
  resolveCommitish,
  type TreeEntry,
} from "./git-repos.ts";
import { HttpError, notFound, type JsonReply } from "./http.ts";
import {
  repositoryAccess,
  route,
  type Route,
  type RouteContext,
} from "./router.ts";
import { repoJson, userJson } from "./serialize.ts";
import type { Role, SimRepository } from "./state.ts";
import { requirePermission } from "./tokens.ts";

/** The contents API inlines files up to 1 MB; larger ones come empty. */
const CONTENTS_INLINE_LIMIT = 1024 * 1024;
/** GitHub wraps base64 content at 60 columns. */
const BASE64_LINE = 60;

/** The coarse `permission` GitHub reports beside the fine `role_name`. */
const COARSE_PERMISSION: Record<Role, "admin" | "write" | "read"> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
};

const ROLE_FLAGS: Record<Role | "none", string[]> = {
  admin: ["admin", "maintain", "push", "triage", "pull"],
  maintain: ["maintain", "push", "triage", "pull"],
  write: ["push", "triage", "pull"],
  triage: ["triage", "pull"],
  read: ["pull"],
  none: [],
};

/** A person's role: collaborator, owner of a personal repository, or none. */
export function roleOf(repo: SimRepository, login: string): Role | "none" {
  const role = repo.collaborators.get(login.toLowerCase());
  if (role) return role;
  if (login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
  // Anyone can read a public repository; a private one is closed to strangers.
  return repo.private ? "none" : "read";
}

export const repoRoutes: Route[] = [
  route("GET", "/repos/{owner}/{repo}", (ctx) => {
    const { repo } = repositoryAccess(ctx);
    return { status: 200, body: repoJson(ctx.state, repo, ctx.urls) };
  }),

  route(
    "GET",
    "/repos/{owner}/{repo}/collaborators/{user}/permission",
    (ctx) => {
      const { repo } = repositoryAccess(ctx);
      const login = ctx.params.user ?? "";
      const role = roleOf(repo, login);
      const flags = ROLE_FLAGS[role];
      const permissions = Object.fromEntries(
        ["admin", "maintain", "push", "triage", "pull"].map((flag) => [
          flag,
          flags.includes(flag),
        ]),
      );
      return {
        status: 200,
        body: {
          permission: role === "none" ? "none" : COARSE_PERMISSION[role],
          role_name: role,
          user: { ...userJson(ctx.state, login, ctx.urls), permissions },
        },
      };
    },
  ),

  route("GET", "/repos/{owner}/{repo}/contents", (ctx) => contents(ctx, "")),
  route("GET", "/repos/{owner}/{repo}/contents/{path+}", (ctx) =>
    contents(ctx, (ctx.params.path ?? "").replace(/\/+$/, "")),
  ),

  route("GET", "/repos/{owner}/{repo}/git/ref/{ref+}", gitRef),
  route("GET", "/repos/{owner}/{repo}/git/refs/{ref+}", gitRef),

  route("GET", "/repos/{owner}/{repo}/branches/{branch+}", async (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    requirePermission(token, "read", "contents");
    const name = ctx.params.branch ?? "";
    const sha = await resolveBranch(repo.gitDir, name);
    if (!sha) throw new HttpError(404, "Branch not found");
    const commitUrl = `${ctx.urls.api}/repos/${repo.fullName}/commits/${sha}`;
    return {
      status: 200,
      body: {
        name,
        commit: {
          sha,
          url: commitUrl,
          commit: { message: await commitMessage(repo.gitDir, sha) },
        },
        protected: repo.protectedBranches.has(name),
        _links: {
          self: `${ctx.urls.api}/repos/${repo.fullName}/branches/${name}`,
          html: `${ctx.urls.web}/${repo.fullName}/tree/${name}`,
        },
      },
    };
  }),
];

async function gitRef(ctx: RouteContext): Promise<JsonReply> {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "read", "contents");
  const ref = ctx.params.ref ?? "";
  // Only branches live here; tags and other refs are not simulated.
  if (!ref.startsWith("heads/")) throw notFound();
  const sha = await resolveBranch(repo.gitDir, ref.slice("heads/".length));
  if (!sha) throw notFound();
  return {
    status: 200,
    body: {
      ref: `refs/${ref}`,
      node_id: `REF_${repo.id}_${ref}`,
      url: `${ctx.urls.api}/repos/${repo.fullName}/git/refs/${ref}`,
      object: {
        sha,
        type: "commit",
        url: `${ctx.urls.api}/repos/${repo.fullName}/git/commits/${sha}`,
      },
    },
  };
}

async function contents(
  ctx: RouteContext,
  filePath: string,
): Promise<JsonReply> {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "read", "contents");
  const ref = ctx.query.get("ref") ?? repo.defaultBranch;
  const commit = await resolveCommitish(repo.gitDir, ref);
  if (!commit) {
    throw new HttpError(404, `No commit found for the ref ${ref}`);
  }
  const entry = await describePath(repo.gitDir, commit, filePath);
  if (!entry) throw notFound();

  if (entry.type === "tree") {
    const entries = await listTree(repo.gitDir, commit, filePath);
    return {
      status: 200,
      body: entries.map((item) => entryJson(ctx, repo, ref, item)),
    };
  }

  const raw = /\.raw\b|vnd\.github\.raw/.test(String(ctx.headers.accept ?? ""));
  const data = await readBlob(repo.gitDir, entry.sha);
  if (raw) return { status: 200, raw: data };

  const inline = entry.size <= CONTENTS_INLINE_LIMIT;
  return {
    status: 200,
    body: {
      ...entryJson(ctx, repo, ref, entry),
      encoding: inline ? "base64" : "none",
      content: inline ? wrapBase64(data.toString("base64")) : "",
    },
  };
}

function entryJson(
  ctx: RouteContext,
  repo: SimRepository,
  ref: string,
  entry: TreeEntry,
) {
  const name = entry.path.split("/").pop() ?? entry.path;
  const api = `${ctx.urls.api}/repos/${repo.fullName}/contents/${entry.path}?ref=${encodeURIComponent(ref)}`;
  return {
    type: entry.type === "blob" ? "file" : "dir",
    name,
    path: entry.path,
    sha: entry.sha,
    size: entry.type === "blob" ? entry.size : 0,
    url: api,
    html_url: `${ctx.urls.web}/${repo.fullName}/blob/${ref}/${entry.path}`,
    download_url:
      entry.type === "blob"
        ? `${ctx.urls.web}/${repo.fullName}/raw/${ref}/${entry.path}`
        : null,
  };
}

function wrapBase64(encoded: string): string {
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += BASE64_LINE) {
    lines.push(encoded.slice(i, i + BASE64_LINE));
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
