// The contract between the app (or the command line) and one sandboxed run.
// Nothing here knows about GitHub: the caller hands over an `Upstream` that
// decides where repository data comes from and where accepted pushes go.

export type Outcome = "success" | "failed" | "timed_out" | "cancelled";

export type FailureReason =
  | "agent_exit"
  | "out_of_memory"
  | "process_limit"
  | "workspace_full"
  | "push_rejected"
  | "push_conflict"
  | "budget_exceeded"
  | "cancelled"
  | "deadline"
  | "infrastructure";

export interface Limits {
  timeoutSeconds: number;
  memoryBytes: number;
  cpus: number;
  pids: number;
  openFiles: number;
  workspaceBytes: number;
  tmpBytes: number;
}

export interface PushPolicy {
  /** Globs (picomatch) that no pushed commit may touch. */
  protectedPaths: string[];
  maxPackBytes: number;
  maxCommits: number;
  maxFileBytes: number;
}

export interface EgressRule {
  host: string;
  /** Omitted means 443 and 80. */
  port?: number;
}

export interface EgressPolicy {
  allow: EgressRule[];
}

export interface RunSpec {
  runId: string;
  /** Stable name of the upstream repository, `owner/name` or a local label. */
  repository: string;
  /** A ref or sha that the upstream resolves to the base commit. */
  baseRef: string;
  /** The one branch this run may change, without `refs/heads/`. */
  branch: string;
  task: string;
  agentCommand: string;
  /** Extra variables for the agent (presets); never credentials. */
  agentEnv: Record<string, string>;
  limits: Limits;
  pushPolicy: PushPolicy;
  egress: EgressPolicy;
  /** Docker runtime such as `runsc`; default runtime when absent. */
  runtime?: string;
}

export interface RefUpdate {
  ref: string;
  oldSha: string;
  newSha: string;
}

export type ForwardResult =
  { ok: true } | { ok: false; conflict: boolean; message: string };

/**
 * Where repository data comes from and where vetted pushes go. The gateway
 * calls `forward` only after every policy rule has passed.
 */
export interface Upstream {
  /** How `git fetch` reaches the repository: a URL or path, and per-call git
   * config (for example an authorization header) that is never persisted. */
  fetchSource(): Promise<GitRemote>;
  /** Push `update.newSha` from the quarantine repository to `update.ref`,
   * only if the upstream still has `update.oldSha` there (compare and swap;
   * the zero sha means the ref must not exist). Never forced. */
  forward(quarantineDir: string, update: RefUpdate): Promise<ForwardResult>;
}

export interface GitRemote {
  url: string;
  config: Record<string, string>;
}

export interface PushRecord extends RefUpdate {
  accepted: boolean;
  /** Empty when accepted; one entry per broken rule otherwise. */
  reasons: string[];
  filesChanged: string[];
  commits: number;
}

export interface EgressRecord {
  host: string;
  port: number;
  method: string;
  allowed: boolean;
  reason: string;
  bytesOut: number;
  bytesIn: number;
}

export interface ModelUsage {
  provider: string;
  inputTokens: number;
  outputTokens: number;
}

export interface Timings {
  prepareMs: number;
  startMs: number;
  agentMs: number;
  totalMs: number;
}

export interface RunResult {
  runId: string;
  outcome: Outcome;
  reason: FailureReason | null;
  exitCode: number | null;
  branch: string;
  baseSha: string;
  headSha: string | null;
  pushes: PushRecord[];
  egress: EgressRecord[];
  usage: ModelUsage[];
  limits: Limits;
  image: string;
  timings: Timings;
  peakMemoryBytes: number | null;
  /** Head and tail of the agent's output, credentials scrubbed. */
  log: string;
}

/**
 * Where a run's audit events go. The app's implementation appends them to the
 * hash-chained `run_events` table; `kind` is a short snake_case name.
 */
export interface AuditSink {
  record(kind: string, data: Record<string, unknown>): Promise<void>;
}
