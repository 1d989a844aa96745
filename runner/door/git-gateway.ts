import type { IncomingMessage, ServerResponse } from "node:http";

import type { Logger } from "pino";

import type { RunSpec, Upstream } from "../types.ts";
import { advertiseReceivePack, advertiseUploadPack } from "./git-advertise.ts";
import { handleReceivePack, type ReceiveContext } from "./git-receive-pack.ts";
import { UnsupportedEncodingError } from "./git-request-body.ts";
import { handleUploadPack } from "./git-upload-pack.ts";
import type { CredentialCheck } from "./run-credential.ts";

// Git smart HTTP on the door, for the run's own repository only.
// https://git-scm.com/docs/http-protocol

const ROUTE =
  /^\/git\/(.+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const SERVICES = ["git-upload-pack", "git-receive-pack"];
const REALM = 'Basic realm="agent-sandbox door", charset="UTF-8"';

export interface GitGatewayOptions extends Omit<ReceiveContext, "log"> {
  spec: RunSpec;
  upstream: Upstream;
  credentials: CredentialCheck;
  mirrorDir: string;
  log: Logger;
}

export type GitHandler = (
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

export function createGitGateway(options: GitGatewayOptions): GitHandler {
  const { spec, log } = options;

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://door");
    const route = ROUTE.exec(url.pathname);
    if (!route) return reply(res, 404, "no such git route");
    const [, encodedRepo = "", action = ""] = route;

    const denied = await authenticate(req, options);
    if (denied) {
      log.info(
        { status: denied.status, path: url.pathname },
        "git request denied",
      );
      const extra: Record<string, string> =
        denied.status === 401 ? { "www-authenticate": REALM } : {};
      return reply(res, denied.status, denied.message, extra);
    }
    if (safeDecode(encodedRepo) !== spec.repository) {
      return reply(res, 404, "this door serves only the run's repository");
    }

    const service =
      action === "info/refs" ? url.searchParams.get("service") : action;
    if (!service || !SERVICES.includes(service)) {
      return reply(
        res,
        403,
        "only smart HTTP git-upload-pack and git-receive-pack are served",
      );
    }
    const wantMethod = action === "info/refs" ? "GET" : "POST";
    if (req.method !== wantMethod) {
      return reply(res, 405, `use ${wantMethod} for ${action}`, {
        allow: wantMethod,
      });
    }
    if (
      wantMethod === "POST" &&
      req.headers["content-type"] !== `application/x-${service}-request`
    ) {
      return reply(
        res,
        415,
        `the body must be application/x-${service}-request`,
      );
    }

    try {
      if (action === "info/refs" && service === "git-receive-pack") {
        await advertiseReceivePack(
          res,
          spec,
          options.upstream,
          options.mirrorDir,
          options.quarantine.storeDir,
        );
      } else if (action === "info/refs") {
        await advertiseUploadPack(res, options.mirrorDir);
      } else if (service === "git-upload-pack") {
        await handleUploadPack(req, res, options.mirrorDir);
      } else {
        await handleReceivePack(req, res, { ...options, log });
      }
    } catch (err) {
      if (err instanceof UnsupportedEncodingError) {
        return reply(res, 415, err.message);
      }
      throw err;
    }
  };
}

interface Denial {
  status: 401 | 403;
  message: string;
}

/** HTTP Basic with the run credential as the password; the user is ignored. */
async function authenticate(
  req: IncomingMessage,
  options: GitGatewayOptions,
): Promise<Denial | null> {
  const header = req.headers.authorization;
  if (!header) {
    return { status: 401, message: "the run credential is required" };
  }
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header.trim());
  const decoded = match
    ? Buffer.from(match[1] ?? "", "base64").toString("utf8")
    : "";
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    return {
      status: 401,
      message: "use HTTP Basic with the run credential as the password",
    };
  }
  const { spec } = options;
  const verdict = await options.credentials(
    spec.runId,
    decoded.slice(colon + 1),
  );
  if (!verdict.ok) {
    return { status: 403, message: `the run credential is ${verdict.reason}` };
  }
  const { scope } = verdict;
  if (
    scope.runId !== spec.runId ||
    scope.repository !== spec.repository ||
    scope.branch !== spec.branch
  ) {
    return {
      status: 403,
      message: "the run credential belongs to another run",
    };
  }
  return null;
}

function reply(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(`${message}\n`);
}

function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
