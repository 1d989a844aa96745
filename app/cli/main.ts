import { loadConfig } from "../config/load-config.ts";
import { withEnvFile } from "../config/read-env-file.ts";
import { isAppError } from "../errors/app-error.ts";
import { fromRunnerError } from "../errors/from-runner-error.ts";
import { createLogger } from "../log/logger.ts";
import type { Command } from "./command.ts";
import { auditCommand } from "./commands/audit-command.ts";
import { runCommand } from "./commands/run-command.ts";
import { migrateCommand } from "./commands/migrate-command.ts";
import { runnerCommand } from "./commands/runner-command.ts";
import { startCommand } from "./commands/start-command.ts";

const commands: Command[] = [
  startCommand,
  runCommand,
  migrateCommand,
  auditCommand,
  runnerCommand,
];

const EXIT_USAGE = 2;

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: agent-sandbox <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `agent-sandbox <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs one subcommand and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`Unknown command: ${name}\n\n${usage()}\n`);
    return EXIT_USAGE;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const config = loadConfig(withEnvFile(process.env, process.cwd()));
    const log = createLogger(config.log);
    return await command.run(args, {
      config,
      log,
      stopping: stop.signal,
      stdout: process.stdout,
    });
  } catch (err) {
    return report(err);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function report(thrown: unknown): number {
  const err = fromRunnerError(thrown);
  if (isAppError(err)) {
    process.stderr.write(`${err.explain()}\n`);
    return err.exitCode;
  }
  const detail =
    err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`agent-sandbox failed unexpectedly: ${detail}\n`);
  return 1;
}
