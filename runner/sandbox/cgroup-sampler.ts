import { readFile } from "node:fs/promises";

// The engine does not report whether a container ran into its process limit
// or how much memory it used at most; the kernel's cgroup files do, but only
// while the container exists. So they are read while it runs, and the last
// reading stands for the end.

const CGROUP_ROOT = "/sys/fs/cgroup";
const DEFAULT_PARENT = "docker";

export interface CgroupReading {
  /** The pids controller refused a fork at least once. */
  pidsLimitHit: boolean;
  /** Highest memory use seen by the kernel; null when no file was found. */
  peakMemoryBytes: number | null;
}

/** File paths to try, cgroup v1 (cgroupfs driver) first, then v2 layouts. */
export function cgroupFiles(containerId: string, cgroupParent: string) {
  const parent = (cgroupParent || DEFAULT_PARENT).replace(/^\/+|\/+$/g, "");
  const v2 = [
    `${CGROUP_ROOT}/${parent}/${containerId}`,
    `${CGROUP_ROOT}/system.slice/docker-${containerId}.scope`,
  ];
  return {
    pidsEvents: [
      `${CGROUP_ROOT}/pids/${parent}/${containerId}/pids.events`,
      ...v2.map((dir) => `${dir}/pids.events`),
    ],
    memoryPeak: [
      `${CGROUP_ROOT}/memory/${parent}/${containerId}/memory.max_usage_in_bytes`,
      ...v2.map((dir) => `${dir}/memory.peak`),
    ],
  };
}

export class CgroupSampler {
  private readonly files: ReturnType<typeof cgroupFiles>;
  private reading: CgroupReading = {
    pidsLimitHit: false,
    peakMemoryBytes: null,
  };

  constructor(containerId: string, cgroupParent: string) {
    this.files = cgroupFiles(containerId, cgroupParent);
  }

  /** Reads the files once; a file that is gone (container ended) is skipped. */
  async sample(): Promise<void> {
    const events = await firstReadable(this.files.pidsEvents);
    const max = events?.match(/^max (\d+)$/m);
    if (max && Number(max[1]) > 0) this.reading.pidsLimitHit = true;

    const peak = Number((await firstReadable(this.files.memoryPeak))?.trim());
    if (Number.isFinite(peak) && peak > 0) {
      const before = this.reading.peakMemoryBytes ?? 0;
      this.reading.peakMemoryBytes = Math.max(before, peak);
    }
  }

  result(): CgroupReading {
    return { ...this.reading };
  }
}

async function firstReadable(paths: string[]): Promise<string | undefined> {
  for (const candidate of paths) {
    try {
      return await readFile(candidate, "utf8");
    } catch {
      // Not this layout, or the container has already gone.
    }
  }
  return undefined;
}
