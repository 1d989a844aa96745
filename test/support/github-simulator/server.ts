import type { KeyObject } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";

import { handleGitRequest, isGitRequest } from "./git-http.ts";
import {
  HttpError,
  notFound,
  parseJsonBody,
  readBody,
  sendReply,
  type JsonReply,
} from "./http.ts";
import { appRoutes } from "./rest-app.ts";
import { checkRoutes } from "./rest-checks.ts";
import { issueRoutes } from "./rest-issues.ts";
import { pullRoutes } from "./rest-pulls.ts";
import { repoRoutes } from "./rest-repos.ts";
import { matchRoute, type SimulatorUrls } from "./router.ts";
import type { RecordedRequest, SimulatorState } from "./state.ts";
import { identifyCaller, type Caller } from "./tokens.ts";

/** GitHub Enterprise Server serves its REST API under this prefix. */
export const API_PREFIX = "/api/v3";

const ROUTES = [
  ...appRoutes,
  ...repoRoutes,
  ...issueRoutes,
  ...pullRoutes,
  ...checkRoutes,
];

export interface ServerOptions {
  state: SimulatorState;
  appKey: KeyObject;
  gitRoot: string;
  urls: () => SimulatorUrls;
}

/** One loopback server for the REST API and git, recording every request. */
export function createSimulatorServer(options: ServerOptions): Server {
  return createServer((req, res) => {
    dispatch(req, res, options).catch((err: unknown) => {
      if (!res.headersSent) {
        sendReply(res, {
          status: 500,
          body: { message: `simulator fault: ${String(err)}` },
        });
      } else {
        res.destroy();
      }
    });
  });
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerOptions,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const record: RecordedRequest = {
    seq: options.state.requests.length + 1,
    at: new Date(),
    kind: "rest",
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.search.replace(/^\?/, ""),
    status: 0,
    auth: "none",
    tokenId: null,
  };
  options.state.requests.push(record);

  if (isGitRequest(url.pathname)) {
    record.kind = "git";
    record.auth = req.headers.authorization ? "installation" : "none";
    const outcome = await handleGitRequest(req, res, url, {
      state: options.state,
      root: options.gitRoot,
    });
    record.status = outcome.status;
    record.tokenId = outcome.tokenId;
    if (outcome.status === 401 && req.headers.authorization) {
      record.auth = "invalid";
    }
    return;
  }

  const reply = await answerRest(req, url, record, options);
  record.status = reply.status;
  sendReply(res, reply);
}

async function answerRest(
  req: IncomingMessage,
  url: URL,
  record: RecordedRequest,
  options: ServerOptions,
): Promise<JsonReply> {
  try {
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) throw notFound();
    const path = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, "");
    record.path = path;
    const body = parseJsonBody(await readBody(req));
    if (body !== undefined) record.body = body;

    let caller: Caller;
    try {
      caller = identifyCaller(
        req.headers.authorization,
        options.state,
        options.appKey,
      );
    } catch (err) {
      record.auth = "invalid";
      throw err;
    }
    record.auth = caller.kind;
    if (caller.kind === "installation") record.tokenId = caller.token.id;

    const found = matchRoute(ROUTES, req.method ?? "GET", path);
    if (!found) throw notFound();
    return await found.route.handler({
      state: options.state,
      urls: options.urls(),
      caller,
      params: found.params,
      query: url.searchParams,
      body,
      headers: req.headers,
    });
  } catch (err) {
    if (err instanceof HttpError) return err.reply();
    throw err;
  }
}
