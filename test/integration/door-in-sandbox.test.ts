import { chown, readdir } from "node:fs/promises";
import path from "node:path";

import pino from "pino";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { ensureRunnerImage } from "../../runner/image/build-image.ts";
import {
  createDockerEngine,
  type DockerEngine,
} from "../../runner/sandbox/docker-engine.ts";
import { runContainer } from "../../runner/sandbox/run-container.ts";
import { dockerAvailable } from "../support/docker.ts";
import {
  BRANCH,
  gitOk,
  openDoorFixture,
  runSpec,
  upstreamRef,
} from "../support/door-fixture.ts";

const hasDocker = await dockerAvailable();
const log = pino({ level: "silent" });
const SANDBOX_UID = 10001;
const REF = `refs/heads/${BRANCH}`;

// Each step runs the real git client inside the sandbox against the door
// and prints `<name>=<exit code>`; the host then checks what reached the
// upstream. Token-like text is assembled at run time so that the script
// itself holds no credential.
const SCRIPT = String.raw`
set +e
cd /workspace
step() { name=$1; shift; "$@" 2>&1; echo "$name=$?"; }
commit() { mkdir -p "$(dirname "$1")"; printf '%s\n' "$2" > "$1"; git add -A; git commit -qm "$1"; }
commit a.txt one;  step first git push origin HEAD:refs/heads/$AGENT_BRANCH
commit b.txt two;  step second git push origin HEAD:refs/heads/$AGENT_BRANCH
step fetch git fetch -q origin main
git tag v1;        step tag git push origin v1
step other git push origin HEAD:refs/heads/main
step delete git push origin :refs/heads/$AGENT_BRANCH
step force git push --force origin HEAD~1:refs/heads/$AGENT_BRANCH
commit c.txt three; step options git push -o ci.skip origin HEAD:refs/heads/$AGENT_BRANCH
git reset -q --hard HEAD~1
commit .github/workflows/ci.yml 'on: push'; step protected git push origin HEAD:refs/heads/$AGENT_BRANCH
git reset -q --hard HEAD~1
commit k.txt "ghp_$(printf 'a%.0s' $(seq 36))"; step secret git push origin HEAD:refs/heads/$AGENT_BRANCH
git reset -q --hard HEAD~1
commit d.txt four
door=127.0.0.1:$AGENT_DOOR_PORT/git/$AGENT_REPOSITORY.git
step nocred env HOME=/tmp/empty GIT_TERMINAL_PROMPT=0 git push http://$door HEAD:refs/heads/$AGENT_BRANCH
step wrongcred env HOME=/tmp/empty GIT_TERMINAL_PROMPT=0 git push http://x:asbx_wrong@$door HEAD:refs/heads/$AGENT_BRANCH
git reset -q --hard HEAD~1
step otherrepo git ls-remote http://127.0.0.1:$AGENT_DOOR_PORT/git/acme/secrets.git
exit 0
`;

async function chownTree(dir: string): Promise<void> {
  await chown(dir, SANDBOX_UID, SANDBOX_UID);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child);
    else await chown(child, SANDBOX_UID, SANDBOX_UID);
  }
}

describe.skipIf(!hasDocker)("the door, used by git inside the sandbox", () => {
  let engine: DockerEngine;
  let image: string;

  beforeAll(async () => {
    engine = createDockerEngine("/var/run/docker.sock");
    const built = await ensureRunnerImage(engine, {
      baseImage: "debian:bookworm-slim",
      log,
      onProgress: () => undefined,
    });
    image = built.tag;
  });

  it("accepts create and fast-forward pushes and a fetch, and refuses every rule breach", async () => {
    const spec = runSpec({ runId: "door-in-sandbox-1", agentCommand: SCRIPT });
    const f = await openDoorFixture({ spec });
    onTestFinished(() => f.close());
    const main = await upstreamRef(f, "refs/heads/main");
    const base = await gitOk(f.workDir, ["rev-parse", "HEAD"]);
    await chownTree(f.workDir);

    const result = await runContainer(engine, {
      inputs: {
        instance: "door-test",
        image,
        spec,
        baseSha: base,
        workspaceDir: f.workDir,
        cacheMirrorDir: f.mirrorDir,
        doorSocketPath: f.door.socketPath,
        credential: f.token,
        engineSocket: "/var/run/docker.sock",
      },
      log,
    });

    const out = result.output;
    const code = (name: string) =>
      new RegExp(`^${name}=(\\d+)$`, "m").exec(out)?.[1];
    expect(code("first"), out).toBe("0");
    expect(code("second"), out).toBe("0");
    expect(code("fetch"), out).toBe("0");
    for (const refused of [
      "tag",
      "other",
      "delete",
      "force",
      "options",
      "protected",
      "secret",
      "nocred",
      "wrongcred",
      "otherrepo",
    ]) {
      expect(code(refused), `${refused}\n${out}`).not.toBe("0");
      expect(code(refused), `${refused}\n${out}`).toBeDefined();
    }
    expect(out).toMatch(/branch-only.*tag refs\/tags\/v1/);
    expect(out).toMatch(/no-delete/);
    expect(out).toMatch(/create-or-fast-forward/);
    expect(out).toMatch(/push options/);
    expect(out).toMatch(/protected-paths/);
    expect(out).toMatch(/a GitHub token in k\.txt/);
    expect(out).toMatch(/403/);

    // Upstream: the run's branch at the second commit, nothing else moved.
    const accepted = f.door.pushes().filter((p) => p.accepted);
    expect(accepted).toHaveLength(2);
    expect(await upstreamRef(f, REF)).toBe(accepted[1]?.newSha);
    expect(await upstreamRef(f, "refs/heads/main")).toBe(main);
    expect(await upstreamRef(f, "refs/tags/v1")).toBeNull();
    expect(f.forwards).toBe(2);
  });
});
