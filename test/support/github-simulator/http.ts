import type { IncomingMessage, ServerResponse } from "node:http";

/** GitHub's documentation root, quoted in error bodies as GitHub does. */
const DOCS = "https://docs.github.com/enterprise-server@3.14/rest";

/** The GHES release the simulator claims to be; Octokit reads the header. */
export const ENTERPRISE_VERSION = "3.14.0";

/** Largest JSON body the simulator reads; check runs are the big ones. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON (raw file contents). */
  raw?: Buffer;
}

/** A refusal in GitHub's shape: `{ message, documentation_url }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  reply(): JsonReply {
    return {
      status: this.status,
      headers: this.headers,
      body: { message: this.message, ...this.extra, documentation_url: DOCS },
    };
  }
}

export function notFound(): HttpError {
  return new HttpError(404, "Not Found");
}

/** GitHub's 422 with a list of field errors. */
export function validationFailed(
  errors: Array<Record<string, unknown>>,
  message = "Validation Failed",
): HttpError {
  return new HttpError(422, message, { errors });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, "Request body too large");
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, "Problems parsing JSON");
  }
}

export function sendReply(res: ServerResponse, reply: JsonReply): void {
  const headers: Record<string, string> = {
    "x-github-enterprise-version": ENTERPRISE_VERSION,
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    ...reply.headers,
  };
  if (reply.raw) {
    res.writeHead(reply.status, {
      "content-type": "application/vnd.github.raw",
      ...headers,
    });
    res.end(reply.raw);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    ...headers,
  });
  res.end(JSON.stringify(reply.body));
}

/** A string field of a JSON body, or a 422 naming it. */
export function stringField(
  body: Record<string, unknown>,
  field: string,
  resource: string,
): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") {
    throw validationFailed([{ resource, field, code: "missing_field" }]);
  }
  return value;
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  resource: string,
): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw validationFailed([{ resource, field, code: "invalid" }]);
  }
  return value;
}

export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "Body should be a JSON object");
  }
  return body as Record<string, unknown>;
}
