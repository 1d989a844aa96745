import { AppError } from "../../errors/app-error.ts";
import type { ErrorCode } from "../../errors/catalogue.ts";
import { ensureRunnerImage } from "../../../runner/image/build-image.ts";
import { createDockerEngine } from "../../../runner/sandbox/docker-engine.ts";
import {
  isSandboxError,
  type SandboxErrorCode,
} from "../../../runner/sandbox/sandbox-error.ts";
import type { Command } from "../command.ts";

// Every code the runner can throw has a catalogue entry; this fails to
// compile when one is added on one side only.
const asAppCode = (code: SandboxErrorCode): ErrorCode => code;

export const runnerCommand: Command = {
  name: "runner",
  summary: "manage the runner image (`runner build` builds it if missing)",
  usage: "agent-sandbox runner build",
  async run(args, { config, log, stdout }) {
    const [action, ...rest] = args;
    if (action !== "build" || rest.length > 0) {
      throw new AppError(
        "USAGE",
        `Expected \`agent-sandbox runner build\`, got \`runner ${args.join(" ")}\`.`,
      );
    }

    const engine = createDockerEngine(config.docker.socketPath);
    const started = Date.now();
    try {
      const image = await ensureRunnerImage(engine, {
        baseImage: config.runner.baseImage,
        log,
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stdout.write(`image ${image.tag}\nid ${image.id}\ntook ${seconds}s\n`);
      return 0;
    } catch (err) {
      if (!isSandboxError(err)) throw err;
      throw new AppError(asAppCode(err.code), err.message, {
        cause: err.cause,
      });
    }
  },
};
