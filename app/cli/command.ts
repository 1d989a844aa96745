import type { Config } from "../config/load-config.ts";
import type { Logger } from "../log/logger.ts";

export interface CommandContext {
  config: Config;
  log: Logger;
  /** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
  stopping: AbortSignal;
  stdout: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}
