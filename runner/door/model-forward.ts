import {
  request as httpRequest,
  Agent as HttpAgent,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";

import { describeConnectError } from "./egress-connect.ts";
import { endToEndHeaders } from "./egress-headers.ts";
import { CALLER_CREDENTIAL_HEADERS, type Provider } from "./model-providers.ts";
import { upstreamUrl } from "./model-route.ts";
import { observeUsage, type TokenCount } from "./model-usage.ts";

// One model call carried from the sandbox to its provider: the caller's
// credentials removed, the door's key added, the answer streamed back chunk
// by chunk while a copy is read for token usage.

const BAD_GATEWAY = 502;

export interface ModelAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

export function createModelAgents(): ModelAgents {
  return {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
}

export interface CallOutcome {
  status: number;
  tokens: TokenCount | undefined;
  /** Why the call failed before an answer, without any key in it. */
  error?: string;
}

export interface ModelCall {
  req: IncomingMessage;
  res: ServerResponse;
  provider: Provider;
  path: string;
  query: string;
  agents: ModelAgents;
}

export function forwardModelCall(call: ModelCall): Promise<CallOutcome> {
  const { req, res, provider } = call;
  const url = upstreamUrl(provider.base, call.path, call.query);
  const headers = endToEndHeaders(req.headers, [
    "host",
    "expect",
    "accept-encoding",
    ...CALLER_CREDENTIAL_HEADERS,
  ]);
  // Usage is read from the bytes as they pass, which needs them unencoded.
  headers["accept-encoding"] = "identity";
  provider.authorize(headers);

  const secure = url.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  const upstream = send(url, {
    method: req.method,
    headers,
    agent: secure ? call.agents.https : call.agents.http,
  });

  return new Promise<CallOutcome>((resolve) => {
    let status = BAD_GATEWAY;
    let observer: ReturnType<typeof observeUsage> | undefined;
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ status, tokens: observer?.end(), error });
    };

    upstream.once("response", (answer) => {
      status = answer.statusCode ?? BAD_GATEWAY;
      observer = observeUsage(answer.headers["content-type"]);
      res.writeHead(status, endToEndHeaders(answer.headers));
      answer.on("data", (chunk: Buffer) => {
        observer?.write(chunk);
        if (!res.write(chunk)) {
          answer.pause();
          res.once("drain", () => answer.resume());
        }
      });
      answer.once("end", () => res.end());
      answer.once("error", () => res.destroy());
      answer.once("close", () => settle());
    });
    upstream.once("error", (err) => {
      const why = describeConnectError(err);
      if (!res.headersSent) {
        const body = JSON.stringify({
          error: {
            type: "upstream_unreachable",
            message: `agent-sandbox door: the ${provider.name} API could not be reached (${why})`,
          },
        });
        res.writeHead(BAD_GATEWAY, { "content-type": "application/json" });
        res.end(body);
      } else {
        res.destroy();
      }
      settle(why);
    });
    res.once("close", () => {
      upstream.destroy();
      settle();
    });
    req.pipe(upstream);
  });
}
