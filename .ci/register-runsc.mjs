// Adds gVisor's runsc to the Docker daemon's runtimes, keeping whatever else
// the file already says. The sandbox has no network of its own, and runsc must
// be allowed to connect to the door's host Unix socket.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [file, runscPath] = process.argv.slice(2);
const config = existsSync(file)
  ? JSON.parse(readFileSync(file, "utf8") || "{}")
  : {};
config.runtimes = {
  ...config.runtimes,
  runsc: {
    path: runscPath,
    runtimeArgs: ["--network=none", "--host-uds=open"],
  },
};
writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
