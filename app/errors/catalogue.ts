// The one list of errors a user or operator can meet. Codes are stable: they
// appear in logs, check runs and the README, and a test keeps the README's
// error table in step with this list. Each entry says what was found, why it
// matters and what to do, naming the setting involved.

export interface ErrorEntry {
  /** Process exit code when this error ends a command-line program. */
  exitCode: number;
  summary: string;
  remedy: string;
}

// Exit code 2 is the conventional "you called me wrong"; 1 is everything else.
const USAGE = 2;
const FAILURE = 1;

export const catalogue = {
  CONFIG_INVALID: {
    exitCode: USAGE,
    summary: "The environment holds settings that are not valid.",
    remedy:
      "Fix each variable listed above; the README's configuration table gives what each one expects.",
  },
  USAGE: {
    exitCode: USAGE,
    summary: "The command line could not be understood.",
    remedy: "Run `agent-sandbox --help` for the subcommands and their options.",
  },
  DATABASE_UNREACHABLE: {
    exitCode: FAILURE,
    summary: "Postgres could not be reached.",
    remedy:
      "Check DATABASE_URL, or unset it to use the embedded Postgres under AGENT_SANDBOX_DATA_DIR.",
  },
  EMBEDDED_POSTGRES_FAILED: {
    exitCode: FAILURE,
    summary: "The embedded Postgres did not start.",
    remedy:
      "Check that AGENT_SANDBOX_DATA_DIR is writable and on a local disk, and that no other Postgres uses the same data folder; or set DATABASE_URL to an existing server.",
  },
  MIGRATION_FAILED: {
    exitCode: FAILURE,
    summary: "The database schema could not be brought up to date.",
    remedy:
      "Read the cause below; migrations are never edited once landed, so a failure usually means the database was changed by hand or belongs to a newer version of the app.",
  },
  RUN_NOT_FOUND: {
    exitCode: FAILURE,
    summary: "No run has that id.",
    remedy: "Copy the run id from the run's output or its check run.",
  },
  AUDIT_CHAIN_BROKEN: {
    exitCode: FAILURE,
    summary: "The run's audit trail does not match its hash chain.",
    remedy:
      "Treat the run's record as tampered with from the named event on; keep the database as it is for investigation.",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof catalogue;
