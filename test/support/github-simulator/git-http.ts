import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

import { gitEnvironment, listBranches } from "./git-repos.ts";
import type {
  GitPushRecord,
  SimRepository,
  SimToken,
  SimulatorState,
} from "./state.ts";
import { syncPullRefs } from "./pull-refs.ts";
import { hasPermission } from "./tokens.ts";

/** `/<owner>/<repo>(.git)/<smart HTTP endpoint>`, as GitHub serves git. */
const GIT_PATH =
  /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

const SERVICES = new Set(["git-upload-pack", "git-receive-pack"]);

export interface GitHttpOptions {
  state: SimulatorState;
  /** Folder holding `<owner>/<name>.git` bare repositories. */
  root: string;
}

type GitVerdict =
  | { ok: true; repo: SimRepository; token: SimToken | null; user: string }
  | { ok: false; status: number; message: string; challenge?: boolean };

export function isGitRequest(pathname: string): boolean {
  return GIT_PATH.test(pathname);
}

/**
 * Git smart HTTP through the real `git http-backend`, with GitHub's rules:
 * Basic auth whose password is an installation token; fetching needs
 * `contents: read` on the repository, pushing `contents: write`.
 */
export async function handleGitRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: GitHttpOptions,
): Promise<{ status: number; tokenId: number | null }> {
  const match = GIT_PATH.exec(url.pathname);
  const [, owner = "", name = "", endpoint = ""] = match ?? [];
  const service =
    endpoint === "info/refs" ? url.searchParams.get("service") : endpoint;
  if (!service || !SERVICES.has(service)) {
    return refuse(res, { ok: false, status: 403, message: "Smart HTTP only." });
  }

  const verdict = authorise(req, options.state, owner, name, service);
  if (!verdict.ok) return refuse(res, verdict);

  const pushing = service === "git-receive-pack" && req.method === "POST";
  const before = pushing ? await listBranches(verdict.repo.gitDir) : null;
  // What a push moved is recorded before the client sees the end of the
  // answer, so a test that asserts right after `git push` finds it.
  const status = await runBackend(
    req,
    res,
    url,
    options.root,
    verdict,
    async () => {
      if (!before) return;
      const after = await listBranches(verdict.repo.gitDir);
      recordPush(options, verdict, before, after);
      await syncPullRefs(options.state, verdict.repo);
    },
  );
  return { status, tokenId: verdict.token?.id ?? null };
}

function authorise(
  req: IncomingMessage,
  state: SimulatorState,
  owner: string,
  name: string,
  service: string,
): GitVerdict {
  const repo = state.findRepository(owner, name);
  const credentials = basicCredentials(req.headers.authorization);
  const writing = service === "git-receive-pack";

  if (!credentials) {
    // Anyone may fetch a public repository; everything else needs a token.
    if (repo && !repo.private && !writing) {
      return { ok: true, repo, token: null, user: "" };
    }
    return {
      ok: false,
      status: 401,
      message: "Authentication required.",
      challenge: true,
    };
  }
  const token = state.findToken(credentials.password);
  const live =
    token && !token.revokedAt && token.expiresAt.getTime() > Date.now();
  if (!token || !live) {
    return {
      ok: false,
      status: 401,
      message:
        "Invalid username or token. Password authentication is not supported for Git operations.",
      challenge: true,
    };
  }
  const reachable =
    repo?.installed &&
    token.installationId === state.installation.id &&
    (token.repositoryIds === null || token.repositoryIds.includes(repo.id));
  if (!repo || !reachable) {
    return { ok: false, status: 404, message: "Repository not found." };
  }
  const level = writing ? "write" : "read";
  if (!hasPermission(token, "contents", level)) {
    const message = writing
      ? "Write access to repository not granted."
      : "Read access to repository not granted.";
    return { ok: false, status: 403, message };
  }
  return { ok: true, repo, token, user: credentials.user };
}

function basicCredentials(
  header: string | undefined,
): { user: string; password: string } | null {
  const match = /^basic\s+(\S+)$/i.exec(header?.trim() ?? "");
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function refuse(
  res: ServerResponse,
  verdict: Extract<GitVerdict, { ok: false }>,
): { status: number; tokenId: null } {
  const headers: Record<string, string> = { "content-type": "text/plain" };
  if (verdict.challenge) headers["www-authenticate"] = 'Basic realm="GitHub"';
  res.writeHead(verdict.status, headers);
  res.end(`${verdict.message}\n`);
  return { status: verdict.status, tokenId: null };
}

/** Runs `git http-backend` as a CGI program and relays its answer. */
async function runBackend(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  root: string,
  verdict: Extract<GitVerdict, { ok: true }>,
  beforeEnd: () => Promise<void>,
): Promise<number> {
  const relative = path.relative(root, verdict.repo.gitDir);
  const endpoint = url.pathname.replace(/^\/[^/]+\/[^/]+\//, "");
  const env: Record<string, string> = {
    ...gitEnvironment(root),
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${relative}/${endpoint}`,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    // http-backend enables receive-pack only for an authenticated user.
    REMOTE_USER: verdict.user || "anonymous",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
  };
  if (req.headers["content-length"]) {
    env.CONTENT_LENGTH = req.headers["content-length"];
  }
  const encoding = req.headers["content-encoding"];
  if (typeof encoding === "string") env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env.HTTP_GIT_PROTOCOL = protocol;

  const child = spawn("git", ["http-backend"], { env });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

  return new Promise<number>((resolve, reject) => {
    let head = Buffer.alloc(0);
    let status = 200;
    let started = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const parsed = parseCgiHead(head);
      if (!parsed) return;
      started = true;
      status = parsed.status;
      res.writeHead(parsed.status, parsed.headers);
      if (parsed.rest.length) res.write(parsed.rest);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (!started) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git http-backend failed (${code}): ${stderr}\n`);
        resolve(500);
        return;
      }
      beforeEnd().then(
        () => {
          res.end();
          resolve(status);
        },
        (err: unknown) => {
          res.end();
          reject(err);
        },
      );
    });
  });
}

/** CGI output: header lines, a blank line, then the body. */
function parseCgiHead(buffer: Buffer): {
  status: number;
  headers: Record<string, string>;
  rest: Buffer;
} | null {
  const text = buffer.toString("latin1");
  const crlf = text.indexOf("\r\n\r\n");
  const lf = text.indexOf("\n\n");
  const end =
    crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  if (end < 0) return null;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of text.slice(0, end).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "status") status = Number.parseInt(value, 10) || 500;
    else headers[key] = value;
  }
  return { status, headers, rest: buffer.subarray(end) };
}

function recordPush(
  options: GitHttpOptions,
  verdict: Extract<GitVerdict, { ok: true }>,
  before: Map<string, string>,
  after: Map<string, string>,
): void {
  const updates: GitPushRecord["updates"] = [];
  for (const branch of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(branch) ?? null;
    const now = after.get(branch) ?? null;
    if (old !== now) updates.push({ branch, before: old, after: now });
  }
  options.state.pushes.push({
    at: new Date(),
    repository: verdict.repo.fullName,
    tokenId: verdict.token?.id ?? null,
    updates,
  });
}
