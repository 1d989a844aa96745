import { stat } from "node:fs/promises";

/** Whether anything stands at `target`; any failure to look counts as no. */
export async function pathExists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}
