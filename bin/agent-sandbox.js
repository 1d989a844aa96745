#!/usr/bin/env node
// Loads the TypeScript sources through tsx, then hands over to the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../app/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
