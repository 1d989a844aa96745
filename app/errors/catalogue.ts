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
  BRANCH_NAME_INVALID: {
    exitCode: USAGE,
    summary: "A run's branch must be a valid git branch name under agent/.",
    remedy:
      "Pass a branch such as agent/fix-login (with --branch on the command line); letters, digits, '-', '_', '.' and '/' are safe.",
  },
  BASE_REF_INVALID: {
    exitCode: USAGE,
    summary: "The base of a run must be a commit sha or a branch or tag name.",
    remedy:
      "Pass a branch name, a tag name or a commit sha (with --base on the command line).",
  },
  BASE_REF_NOT_FOUND: {
    exitCode: USAGE,
    summary: "The base ref does not exist in the repository.",
    remedy:
      "Check the spelling of the branch, tag or sha and that it has been pushed to the repository (--base on the command line).",
  },
  REPOSITORY_NAME_INVALID: {
    exitCode: USAGE,
    summary: "The repository name cannot be used as a cache name.",
    remedy:
      "Use owner/name or a short local label made of printable characters.",
  },
  MIRROR_UPDATE_FAILED: {
    exitCode: FAILURE,
    summary:
      "The repository cache could not be created or updated from the upstream repository.",
    remedy:
      "Read the cause below: usually the upstream is unreachable or refused the credentials. The cache lives under AGENT_SANDBOX_DATA_DIR/cache and is safe to delete while no run is active.",
  },
  MIRROR_LOCK_TIMEOUT: {
    exitCode: FAILURE,
    summary: "Another process kept the repository cache locked for too long.",
    remedy:
      "Another run is still fetching the same repository; retry later. A crashed holder releases the lock on its own, so a lasting timeout means a fetch that hangs: look for a stuck git process.",
  },
  WORKSPACE_UNSUPPORTED: {
    exitCode: FAILURE,
    summary:
      "Workspaces are loop-mounted ext4 images sized to the workspace cap, which needs root, loop devices and mkfs.ext4 on the host.",
    remedy:
      "Run the worker as root (or in a container with --privileged or CAP_SYS_ADMIN and /dev/loop* devices) with e2fsprogs and util-linux installed. The cap (RUN_WORKSPACE_MIB) is never dropped silently.",
  },
  WORKSPACE_PREPARE_FAILED: {
    exitCode: FAILURE,
    summary: "The run's workspace could not be prepared.",
    remedy:
      "Read the cause below; check free space and inodes under AGENT_SANDBOX_DATA_DIR/workspaces and that RUN_WORKSPACE_MIB is large enough for the repository.",
  },
  WORKSPACE_RELEASE_FAILED: {
    exitCode: FAILURE,
    summary: "The run's workspace could not be unmounted or removed.",
    remedy:
      "Read the cause below; the sweeper retries at the next start. To clean by hand, unmount and delete AGENT_SANDBOX_DATA_DIR/workspaces/<run id> and its .img file.",
  },
  DOCKER_UNREACHABLE: {
    exitCode: FAILURE,
    summary: "The Docker engine did not answer; no sandbox can start.",
    remedy:
      "Start dockerd, or point DOCKER_SOCKET at the engine's socket and check that this user may use it.",
  },
  RUNNER_IMAGE_BUILD_FAILED: {
    exitCode: FAILURE,
    summary: "The runner image could not be built.",
    remedy:
      "Read the build output above; the build needs Debian's package mirror and the npm registry. Set RUNNER_BASE_IMAGE to a Debian bookworm image present on this host to skip the base bootstrap.",
  },
  RUNNER_BASE_BOOTSTRAP_FAILED: {
    exitCode: FAILURE,
    summary:
      "RUNNER_BASE_IMAGE is not on this host and cannot be pulled, and a Debian base could not be bootstrapped instead.",
    remedy:
      "Install debootstrap and run the build as root, or load a Debian bookworm image and name it in RUNNER_BASE_IMAGE.",
  },
  RUNTIME_UNUSABLE: {
    exitCode: FAILURE,
    summary:
      "The container runtime named by RUNNER_RUNTIME (or --runtime) cannot run a sandbox on this engine.",
    remedy:
      "Register it in the Docker daemon's configuration (for gVisor: runsc with runtimeArgs including --host-uds=open, so the door socket can be reached) and reload dockerd, or unset RUNNER_RUNTIME to use the default runtime.",
  },
  SANDBOX_SPEC_REFUSED: {
    exitCode: FAILURE,
    summary:
      "The run's container would have been weaker than the sandbox allows, so it was not started.",
    remedy:
      "Keep AGENT_SANDBOX_DATA_DIR away from system folders and the Docker socket, and keep agent presets free of reserved variables (AGENT_*, HOME, PATH, proxies, LD_*, GIT_*, DOCKER_*).",
  },
  AGENT_PRESET_UNAVAILABLE: {
    exitCode: FAILURE,
    summary: "The policy's agent settings cannot start an agent.",
    remedy:
      "In .github/agent-sandbox.yml set agent.preset to claude-code or codex, or to command with agent.command naming the shell command to run.",
  },
  GITHUB_APP_NOT_CONFIGURED: {
    exitCode: USAGE,
    summary: "The GitHub App's credentials are incomplete.",
    remedy:
      "Set APP_ID, WEBHOOK_SECRET and PRIVATE_KEY (or PRIVATE_KEY_PATH) together, or unset all of them to register the App through the manifest flow at the server's address.",
  },
  WORKER_LEASE_LOST: {
    exitCode: FAILURE,
    summary:
      "A worker lost its lease on a run; another worker or the sweeper took it over.",
    remedy:
      "Nothing to do for the run; if it happens often, the database or the worker is too slow to renew leases in time.",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof catalogue;
