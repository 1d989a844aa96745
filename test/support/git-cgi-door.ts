import { spawn } from "node:child_process";
import { chmod } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

// A stand-in door for the sandbox's own tests: a real HTTP server on a Unix
// socket that serves `/git/<repo>.git/...` with git's own smart-HTTP CGI
// over bare repositories in `projectRoot`, answers anything else with a line
// naming the request, and records what it saw. The real door (gateway) adds
// policy; these tests prove the container side reaches it.

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface CgiDoor {
  socketPath: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function openCgiDoor(options: {
  socketPath: string;
  projectRoot: string;
  refusePushes?: boolean;
}): Promise<CgiDoor> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    seen.push({
      method: req.method ?? "",
      url,
      authorization: req.headers.authorization,
    });
    if (!url.startsWith("/git/")) {
      res.end(`door:${req.method} ${url}`);
      return;
    }
    const pushing = url.includes("git-receive-pack");
    if (pushing && options.refusePushes) {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("pushes refused by the test door\n");
      return;
    }
    serveGit(req, res, options.projectRoot);
  });

  await new Promise<void>((resolve) =>
    server.listen(options.socketPath, resolve),
  );
  // The sandbox user (uid 10001) connects; a Unix socket needs write access.
  await chmod(options.socketPath, 0o666);
  return {
    socketPath: options.socketPath,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serveGit(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  projectRoot: string,
): void {
  const url = new URL(req.url ?? "/", "http://door");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    GIT_PROJECT_ROOT: path.resolve(projectRoot),
    GIT_HTTP_EXPORT_ALL: "1",
    REMOTE_USER: "sandbox",
    PATH_INFO: url.pathname.replace(/^\/git/, ""),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
  };
  if (req.headers["content-length"]) {
    env.CONTENT_LENGTH = req.headers["content-length"];
  }
  if (req.headers["content-encoding"]) {
    env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  }
  if (req.headers["git-protocol"]) {
    env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
  }

  const cgi = spawn("git", ["http-backend"], { env });
  req.pipe(cgi.stdin);

  let head = Buffer.alloc(0);
  let headerDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split("\r\n")) {
      const [name, ...rest] = line.split(":");
      const value = rest.join(":").trim();
      if (!name) continue;
      if (name.toLowerCase() === "status") status = parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on("close", () => {
    if (!headerDone) res.writeHead(500);
    res.end();
  });
}
