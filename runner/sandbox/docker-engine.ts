import { PassThrough, type Readable } from "node:stream";

import Docker from "dockerode";

// The one place that speaks to Docker. Everything else in the project uses
// the `DockerEngine` interface below, so tests and other backends can stand
// in for it and no other file depends on dockerode's shapes.

/** The Engine API create body, limited to the fields the sandbox sets. */
export interface ContainerSpec {
  name: string;
  Image: string;
  User: string;
  WorkingDir: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  Labels: Record<string, string>;
  Hostname: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  OpenStdin: boolean;
  Tty: boolean;
  HostConfig: SandboxHostConfig;
}

export interface BindMount {
  Type: "bind";
  Source: string;
  Target: string;
  ReadOnly: boolean;
}

export interface SandboxHostConfig {
  NetworkMode: "none";
  Privileged: false;
  CapDrop: string[];
  CapAdd: string[];
  SecurityOpt: string[];
  ReadonlyRootfs: true;
  Tmpfs: Record<string, string>;
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit: number;
  Ulimits: { Name: string; Soft: number; Hard: number }[];
  Mounts: BindMount[];
  Init: true;
  IpcMode: "private";
  ShmSize: number;
  RestartPolicy: { Name: "no" };
  AutoRemove: false;
  LogConfig: { Type: string; Config: Record<string, string> };
  Runtime?: string;
}

export interface ImageInfo {
  id: string;
  tags: string[];
}

export interface RuntimeInfo {
  path: string;
  args: string[];
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  state: string;
}

export interface ContainerState {
  id: string;
  running: boolean;
  exitCode: number | null;
  oomKilled: boolean;
  /** Parent cgroup as configured; empty means the engine's default. */
  cgroupParent: string;
}

export interface BuildRequest {
  contextDir: string;
  files: string[];
  tag: string;
  buildArgs: Record<string, string>;
  onProgress: (line: string) => void;
}

export interface DockerEngine {
  ping(): Promise<void>;
  /** The container runtimes the engine has registered, by name. */
  runtimes(): Promise<Record<string, RuntimeInfo>>;
  inspectImage(reference: string): Promise<ImageInfo | null>;
  pullImage(
    reference: string,
    onProgress: (line: string) => void,
  ): Promise<void>;
  buildImage(request: BuildRequest): Promise<ImageInfo>;
  importImage(
    tar: Readable,
    repository: string,
    tag: string,
  ): Promise<ImageInfo>;
  removeImage(reference: string): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /** Merged stdout and stderr, attached before start so nothing is lost. */
  attachOutput(id: string): Promise<Readable>;
  startContainer(id: string): Promise<void>;
  waitContainer(id: string): Promise<number>;
  killContainer(id: string): Promise<void>;
  /** Force-removes the container and its anonymous volumes; absent is fine. */
  removeContainer(id: string): Promise<void>;
  listContainers(label: string): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerState>;
}

// Engine API answers the sandbox treats as "already in the wanted state".
const HTTP_NOT_FOUND = 404;
const HTTP_CONFLICT = 409;

interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  aux?: { ID?: string };
}

export function createDockerEngine(socketPath: string): DockerEngine {
  const docker = new Docker({ socketPath });

  async function inspectImage(reference: string): Promise<ImageInfo | null> {
    try {
      const info = await docker.getImage(reference).inspect();
      return { id: info.Id, tags: info.RepoTags ?? [] };
    } catch (err) {
      if (statusOf(err) === HTTP_NOT_FOUND) return null;
      throw err;
    }
  }

  async function requireImage(reference: string): Promise<ImageInfo> {
    const image = await inspectImage(reference);
    if (!image) throw new Error(`image ${reference} missing after it was made`);
    return image;
  }

  return {
    async ping() {
      await docker.ping();
    },

    async runtimes() {
      const info = (await docker.info()) as {
        Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
      };
      const runtimes: Record<string, RuntimeInfo> = {};
      for (const [name, runtime] of Object.entries(info.Runtimes ?? {})) {
        runtimes[name] = {
          path: runtime.path ?? "",
          args: runtime.runtimeArgs ?? [],
        };
      }
      return runtimes;
    },

    inspectImage,

    async pullImage(reference, onProgress) {
      const stream = await docker.pull(reference);
      await followProgress(docker, stream, onProgress);
    },

    async buildImage({ contextDir, files, tag, buildArgs, onProgress }) {
      const stream = await docker.buildImage(
        { context: contextDir, src: files },
        { t: tag, buildargs: buildArgs, rm: true, forcerm: true },
      );
      await followProgress(docker, stream, onProgress);
      return requireImage(tag);
    },

    async importImage(tar, repository, tag) {
      const stream = await docker.importImage(tar, { repo: repository, tag });
      await followProgress(docker, stream, () => {});
      return requireImage(`${repository}:${tag}`);
    },

    async removeImage(reference) {
      try {
        await docker.getImage(reference).remove({ force: true });
      } catch (err) {
        if (statusOf(err) !== HTTP_NOT_FOUND) throw err;
      }
    },

    async createContainer(spec) {
      const { name, ...body } = spec;
      const container = await docker.createContainer({ name, ...body });
      return container.id;
    },

    async attachOutput(id) {
      const raw = await docker
        .getContainer(id)
        .attach({ stream: true, stdout: true, stderr: true, logs: false });
      const merged = new PassThrough();
      docker.modem.demuxStream(raw, merged, merged);
      raw.on("end", () => merged.end());
      raw.on("error", (err: Error) => merged.destroy(err));
      return merged;
    },

    async startContainer(id) {
      await docker.getContainer(id).start();
    },

    async waitContainer(id) {
      const result = (await docker.getContainer(id).wait()) as {
        StatusCode: number;
      };
      return result.StatusCode;
    },

    async killContainer(id) {
      try {
        await docker.getContainer(id).kill();
      } catch (err) {
        const status = statusOf(err);
        if (status === HTTP_CONFLICT || status === HTTP_NOT_FOUND) return;
        throw err;
      }
    },

    async removeContainer(id) {
      try {
        await docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const status = statusOf(err);
        if (status === HTTP_NOT_FOUND || status === HTTP_CONFLICT) return;
        throw err;
      }
    },

    async listContainers(label) {
      const list = await docker.listContainers({
        all: true,
        filters: { label: [label] },
      });
      return list.map((c) => ({
        id: c.Id,
        labels: c.Labels ?? {},
        state: c.State,
      }));
    },

    async inspectContainer(id) {
      const info = await docker.getContainer(id).inspect();
      return {
        id: info.Id,
        running: info.State.Running,
        exitCode: info.State.Running ? null : info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        cgroupParent: info.HostConfig.CgroupParent ?? "",
      };
    },
  };
}

/** HTTP status of a failed Engine API call, when it has one. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}

function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onProgress: (line: string) => void,
): Promise<void> {
  // The engine reports build and pull failures inside a 200 response, as an
  // `error` event in the progress stream, so each event is checked.
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(err);
        else if (failure !== undefined) reject(new Error(failure));
        else resolve();
      },
      (event: ProgressEvent) => {
        if (event.error !== undefined) failure = event.error;
        const line = describe(event);
        if (line) onProgress(line);
      },
    );
  });
}

function describe(event: ProgressEvent): string {
  if (event.error !== undefined) return event.error;
  if (event.stream !== undefined) return event.stream.replace(/\n+$/, "");
  if (event.status === undefined) return "";
  const parts = [event.id, event.status, event.progress];
  return parts.filter((part) => part !== undefined && part !== "").join(" ");
}
