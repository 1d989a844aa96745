import { resolveCommitish } from "./git-repos.ts";
import {
  asObject,
  HttpError,
  notFound,
  optionalString,
  stringField,
  validationFailed,
} from "./http.ts";
import {
  intParam,
  paginate,
  repositoryAccess,
  route,
  type Route,
  type RouteContext,
} from "./router.ts";
import { checkRunJson } from "./serialize.ts";
import { timestamp, type SimCheckAction, type SimCheckRun } from "./state.ts";
import { requirePermission } from "./tokens.ts";

/**
 * GitHub's documented limits on check runs: the output's summary and text
 * hold at most 65,535 characters each, and a run offers at most three
 * buttons with short labels.
 * https://docs.github.com/en/rest/checks/runs#create-a-check-run
 */
export const CHECK_OUTPUT_MAX = 65_535;
export const CHECK_ACTIONS_MAX = 3;
export const CHECK_ACTION_LABEL_MAX = 20;
export const CHECK_ACTION_DESCRIPTION_MAX = 40;
export const CHECK_ACTION_IDENTIFIER_MAX = 20;

const STATUSES = new Set(["queued", "in_progress", "completed"]);
const CONCLUSIONS = new Set([
  "action_required",
  "cancelled",
  "failure",
  "neutral",
  "success",
  "skipped",
  "stale",
  "timed_out",
]);

function tooLong(field: string, max: number, supplied: number): HttpError {
  return new HttpError(
    422,
    `Invalid request.\n\nOnly ${max} characters are allowed in ${field}; ${supplied} were supplied.`,
  );
}

function parseOutput(value: unknown): SimCheckRun["output"] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(
      422,
      "Invalid request.\n\nFor 'output', it is not an object.",
    );
  }
  const output = value as Record<string, unknown>;
  if (typeof output.title !== "string" || output.title === "") {
    throw new HttpError(422, 'Invalid request.\n\n"title" wasn\'t supplied.');
  }
  if (typeof output.summary !== "string" || output.summary === "") {
    throw new HttpError(422, 'Invalid request.\n\n"summary" wasn\'t supplied.');
  }
  if (output.summary.length > CHECK_OUTPUT_MAX) {
    throw tooLong("output.summary", CHECK_OUTPUT_MAX, output.summary.length);
  }
  const text = output.text ?? null;
  if (text !== null && typeof text !== "string") {
    throw new HttpError(
      422,
      "Invalid request.\n\nFor 'text', it is not a string.",
    );
  }
  if (text !== null && text.length > CHECK_OUTPUT_MAX) {
    throw tooLong("output.text", CHECK_OUTPUT_MAX, text.length);
  }
  return { title: output.title, summary: output.summary, text };
}

function parseActions(value: unknown): SimCheckAction[] {
  if (!Array.isArray(value)) {
    throw new HttpError(
      422,
      "Invalid request.\n\nFor 'actions', it is not an array.",
    );
  }
  if (value.length > CHECK_ACTIONS_MAX) {
    throw new HttpError(
      422,
      `Invalid request.\n\nOnly ${CHECK_ACTIONS_MAX} actions are allowed; ${value.length} were supplied.`,
    );
  }
  return value.map((item: unknown) => {
    const action = asObject(item);
    const limits: Array<[keyof SimCheckAction, number]> = [
      ["label", CHECK_ACTION_LABEL_MAX],
      ["description", CHECK_ACTION_DESCRIPTION_MAX],
      ["identifier", CHECK_ACTION_IDENTIFIER_MAX],
    ];
    for (const [field, max] of limits) {
      const text = action[field];
      if (typeof text !== "string" || text === "") {
        throw new HttpError(
          422,
          `Invalid request.\n\n"${field}" wasn't supplied.`,
        );
      }
      if (text.length > max)
        throw tooLong(`actions.${field}`, max, text.length);
    }
    return {
      label: action.label as string,
      description: action.description as string,
      identifier: action.identifier as string,
    };
  });
}

/** Applies the fields of a create or update body to a run. */
function applyFields(run: SimCheckRun, body: Record<string, unknown>): void {
  const status = optionalString(body, "status", "CheckRun");
  const conclusion = optionalString(body, "conclusion", "CheckRun");
  if (status !== undefined && !STATUSES.has(status)) {
    throw validationFailed([
      { resource: "CheckRun", field: "status", code: "invalid" },
    ]);
  }
  if (conclusion !== undefined && !CONCLUSIONS.has(conclusion)) {
    throw validationFailed([
      { resource: "CheckRun", field: "conclusion", code: "invalid" },
    ]);
  }
  const completing = status === "completed" || conclusion !== undefined;
  if (completing && conclusion === undefined && run.conclusion === null) {
    throw new HttpError(
      422,
      'Invalid request.\n\n"conclusion" wasn\'t supplied: a completed check run needs one.',
    );
  }
  const output =
    body.output === undefined ? undefined : parseOutput(body.output);
  const actions =
    body.actions === undefined ? undefined : parseActions(body.actions);

  const name = optionalString(body, "name", "CheckRun");
  if (name !== undefined) run.name = name;
  if (completing) {
    run.status = "completed";
    run.conclusion = conclusion ?? run.conclusion;
    run.completedAt =
      optionalString(body, "completed_at", "CheckRun") ?? timestamp();
  } else if (status !== undefined) {
    run.status = status as SimCheckRun["status"];
  }
  const detailsUrl = optionalString(body, "details_url", "CheckRun");
  if (detailsUrl !== undefined) run.detailsUrl = detailsUrl;
  const externalId = optionalString(body, "external_id", "CheckRun");
  if (externalId !== undefined) run.externalId = externalId;
  if (output !== undefined) run.output = output;
  if (actions !== undefined) run.actions = actions;
  run.history.push(body);
}

async function createCheckRun(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "write", "checks");
  const body = asObject(ctx.body);
  const name = stringField(body, "name", "CheckRun");
  const headSha = stringField(body, "head_sha", "CheckRun");
  const commit = await resolveCommitish(repo.gitDir, headSha);
  if (!commit || commit !== headSha) {
    throw validationFailed(
      [{ resource: "CheckRun", field: "head_sha", code: "invalid" }],
      `No commit found for SHA: ${headSha}`,
    );
  }
  const run: SimCheckRun = {
    id: ctx.state.nextId("check_run"),
    repositoryId: repo.id,
    name,
    headSha,
    status: "queued",
    conclusion: null,
    startedAt: optionalString(body, "started_at", "CheckRun") ?? timestamp(),
    completedAt: null,
    detailsUrl: null,
    externalId: null,
    output: null,
    actions: [],
    history: [],
  };
  applyFields(run, body);
  ctx.state.checkRuns.push(run);
  return { status: 201, body: checkRunJson(ctx.state, run, ctx.urls) };
}

function findCheckRun(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  const id = intParam(ctx, "id");
  const run = ctx.state.checkRuns.find(
    (candidate) => candidate.id === id && candidate.repositoryId === repo.id,
  );
  if (!run) throw notFound();
  return { run, token, repo };
}

export const checkRoutes: Route[] = [
  route("POST", "/repos/{owner}/{repo}/check-runs", createCheckRun),

  route("GET", "/repos/{owner}/{repo}/check-runs/{id}", (ctx) => {
    const { run, token } = findCheckRun(ctx);
    requirePermission(token, "read", "checks");
    return { status: 200, body: checkRunJson(ctx.state, run, ctx.urls) };
  }),

  route("PATCH", "/repos/{owner}/{repo}/check-runs/{id}", (ctx) => {
    const { run, token } = findCheckRun(ctx);
    requirePermission(token, "write", "checks");
    applyFields(run, asObject(ctx.body));
    return { status: 200, body: checkRunJson(ctx.state, run, ctx.urls) };
  }),

  route(
    "GET",
    "/repos/{owner}/{repo}/commits/{ref+}/check-runs",
    async (ctx) => {
      const { repo, token } = repositoryAccess(ctx);
      requirePermission(token, "read", "checks");
      const sha = await resolveCommitish(repo.gitDir, ctx.params.ref ?? "");
      if (!sha) throw notFound();
      const name = ctx.query.get("check_name");
      const runs = ctx.state.checkRuns
        .filter((run) => run.repositoryId === repo.id && run.headSha === sha)
        .filter((run) => !name || run.name === name)
        .sort((a, b) => b.id - a.id);
      const path = `/repos/${repo.fullName}/commits/${sha}/check-runs`;
      const page = paginate(ctx, path, runs);
      return {
        status: 200,
        headers: page.headers,
        body: {
          total_count: runs.length,
          check_runs: page.items.map((run) =>
            checkRunJson(ctx.state, run, ctx.urls),
          ),
        },
      };
    },
  ),
];
