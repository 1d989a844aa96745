import type { ServerResponse } from "node:http";

import type { RunSpec, Upstream } from "../types.ts";
import { ZERO_SHA } from "./git-command-list.ts";
import { gitText, spawnGit } from "./git-process.ts";
import { encodePktLine, FLUSH_PKT } from "./pkt-line.ts";
import { OFFERED_CAPABILITIES } from "./verify-push.ts";

// Ref advertisements for GET /info/refs. Upload-pack's comes from the cache
// mirror. Receive-pack's is the door's own: the run's branch as it stands
// upstream (what a create or a fast-forward must start from) and, as
// ".have" lines, the mirror's branch tips, so the client sends only the
// commits the upstream lacks instead of the repository's whole history.
// https://git-scm.com/docs/http-protocol#_smart_clients

// Enough tips for the client to find a common base in any real repository
// without sending a huge advertisement.
const MAX_HAVES = 256;
const AGENT = "agent=agent-sandbox-door";

export const ADVERTISEMENT_TYPE = (service: string) =>
  `application/x-${service}-advertisement`;

export async function advertiseReceivePack(
  res: ServerResponse,
  spec: RunSpec,
  upstream: Upstream,
  mirrorDir: string,
  storeDir: string,
): Promise<void> {
  const ref = `refs/heads/${spec.branch}`;
  const [current, haves] = await Promise.all([
    upstreamTip(upstream, ref),
    branchTips([mirrorDir, storeDir]),
  ]);
  const capabilities = OFFERED_CAPABILITIES.filter(
    (c) => c !== "agent" && c !== "object-format",
  ).concat("object-format=sha1", AGENT);

  const lines: string[] = [];
  if (current) lines.push(`${current} ${ref}`);
  for (const sha of haves) if (sha !== current) lines.push(`${sha} .have`);
  if (lines.length === 0) lines.push(`${ZERO_SHA} capabilities^{}`);
  const [first = "", ...others] = lines;

  res.writeHead(200, headers("git-receive-pack"));
  res.end(
    Buffer.concat([
      serviceHeader("git-receive-pack"),
      encodePktLine(`${first}\0${capabilities.join(" ")}\n`),
      ...others.map((line) => encodePktLine(`${line}\n`)),
      FLUSH_PKT,
    ]),
  );
}

export async function advertiseUploadPack(
  res: ServerResponse,
  mirrorDir: string,
): Promise<void> {
  const child = spawnGit([
    "upload-pack",
    "--stateless-rpc",
    "--advertise-refs",
    "--strict",
    mirrorDir,
  ]);
  child.stdin.end();
  res.writeHead(200, headers("git-upload-pack"));
  res.write(serviceHeader("git-upload-pack"));
  child.stdout.pipe(res);
  res.on("close", () => child.kill("SIGKILL"));
  await new Promise<void>((resolve) => child.on("close", () => resolve()));
}

/** The branch's commit upstream, or null when it does not exist there. */
async function upstreamTip(
  upstream: Upstream,
  ref: string,
): Promise<string | null> {
  const remote = await upstream.fetchSource();
  const out = await gitText(["ls-remote", "--", remote.url, ref], {
    config: remote.config,
  });
  for (const line of out.split("\n")) {
    const [sha, name] = line.split("\t");
    if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
  }
  return null;
}

async function branchTips(repos: string[]): Promise<string[]> {
  const listings = await Promise.all(
    repos.map((gitDir) =>
      gitText(
        [
          "for-each-ref",
          `--count=${MAX_HAVES}`,
          "--sort=-committerdate",
          "--format=%(objectname)",
          "refs/heads",
        ],
        { gitDir },
      ),
    ),
  );
  const tips = new Set(listings.flatMap((out) => out.split("\n")));
  tips.delete("");
  return [...tips].slice(0, MAX_HAVES);
}

function serviceHeader(service: string): Buffer {
  return Buffer.concat([encodePktLine(`# service=${service}\n`), FLUSH_PKT]);
}

function headers(service: string): Record<string, string> {
  return {
    "content-type": ADVERTISEMENT_TYPE(service),
    "cache-control": "no-cache",
  };
}
