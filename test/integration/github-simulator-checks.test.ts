import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  mintInstallationToken,
  restCall,
} from "../support/github-simulator/clients.ts";
import {
  startGitHubSimulator,
  type GitHubSimulator,
} from "../support/github-simulator/simulator.ts";

let sim: GitHubSimulator;
let token: string;

beforeAll(async () => {
  sim = await startGitHubSimulator({ appId: 778 });
  await sim.addRepository({ name: "widgets" });
  token = await mintInstallationToken(sim, {
    repositories: ["widgets"],
    permissions: { checks: "write" },
  });
});

afterAll(async () => {
  await sim?.close();
});

const call = (method: string, route: string, body?: unknown) =>
  restCall(sim, token, method, route, body);

describe("check runs", () => {
  const limitCases: Array<[string, Record<string, unknown>]> = [
    [
      "summary over 65535",
      { output: { title: "t", summary: "s".repeat(65_536) } },
    ],
    [
      "text over 65535",
      { output: { title: "t", summary: "s", text: "t".repeat(65_536) } },
    ],
    ["output without title", { output: { summary: "s" } }],
    [
      "four actions",
      { actions: Array.from({ length: 4 }, (_, i) => action(`a${i}`)) },
    ],
    ["label over 20", { actions: [{ ...action("a"), label: "l".repeat(21) }] }],
    [
      "description over 40",
      { actions: [{ ...action("a"), description: "d".repeat(41) }] },
    ],
    [
      "identifier over 20",
      { actions: [{ ...action("a"), identifier: "i".repeat(21) }] },
    ],
    ["completed without conclusion", { status: "completed" }],
  ];

  function action(identifier: string) {
    return { label: "Cancel", description: "Stop this run", identifier };
  }

  it.each(limitCases)("refuses %s with 422", async (_, fields) => {
    const headSha = await sim.branchSha("acme/widgets", "main");
    const answer = await call("POST", "/repos/acme/widgets/check-runs", {
      name: "Agent Sandbox",
      head_sha: headSha,
      ...fields,
    });
    expect(answer.status).toBe(422);
  });

  it("accepts text at the limit and completes a run through PATCH", async () => {
    const headSha = await sim.branchSha("acme/widgets", "main");
    const created = await call("POST", "/repos/acme/widgets/check-runs", {
      name: "Agent Sandbox",
      head_sha: headSha,
      status: "in_progress",
      output: { title: "Running", summary: "s".repeat(65_535) },
      actions: [action("cancel")],
    });
    expect(created).toMatchObject({
      status: 201,
      body: { status: "in_progress", head_sha: headSha },
    });
    const id = (created.body as { id: number }).id;

    const done = await call("PATCH", `/repos/acme/widgets/check-runs/${id}`, {
      conclusion: "success",
      output: { title: "Done", summary: "All good", text: "t".repeat(65_535) },
    });
    expect(done.body).toMatchObject({
      status: "completed",
      conclusion: "success",
    });
    const fetched = await call("GET", `/repos/acme/widgets/check-runs/${id}`);
    expect(fetched.body).toMatchObject({
      output: { title: "Done" },
      completed_at: expect.any(String),
    });
    expect(sim.state.checkRuns.find((r) => r.id === id)?.history).toHaveLength(
      2,
    );
  });

  it("refuses a head_sha the repository does not have", async () => {
    const answer = await call("POST", "/repos/acme/widgets/check-runs", {
      name: "Agent Sandbox",
      head_sha: "0".repeat(40),
    });
    expect(answer.status).toBe(422);
  });
});
