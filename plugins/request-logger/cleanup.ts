/**
 * Log directory cleanup, CLIProxyAPI's two rules:
 *
 * - `error-logs-max-files` (default 10, 0 = off): keep the newest N `error-*.log` files.
 * - `logs-max-total-size-mb` (0 = off): delete the oldest `*.log` / `*.log.gz` files (never `main.log`) until the
 *   directory's logs total at most the limit.
 *
 * Each pass is one directory listing plus a stat per log file; the {@link Cleaner} runs passes one at a time, after
 * writes, off the response path, and skips size scans while its running estimate is under the limit.
 */
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isErrorLogFileName, isLogFileName } from "./naming.ts";

export const MAIN_LOG = "main.log";

interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

function newestFirst(a: FileInfo, b: FileInfo): number {
  return b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

async function list(dir: string, keep: (name: string) => boolean): Promise<FileInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: FileInfo[] = [];
  for (const name of names) {
    if (!keep(name)) continue;
    try {
      const s = await stat(join(dir, name));
      if (s.isFile()) out.push({ name, size: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // Removed meanwhile.
    }
  }
  return out;
}

/** Keeps the newest `max` forced error logs; returns how many were deleted. `max` ≤ 0 does nothing. */
export async function cleanupErrorLogs(dir: string, max: number): Promise<number> {
  if (max <= 0) return 0;
  const files = await list(dir, isErrorLogFileName);
  if (files.length <= max) return 0;
  files.sort(newestFirst);
  let deleted = 0;
  for (const f of files.slice(max)) {
    try {
      await unlink(join(dir, f.name));
      deleted++;
    } catch {
      // Already gone.
    }
  }
  return deleted;
}

export interface SizeResult {
  readonly deleted: number;
  /** Total size of the logs left. */
  readonly total: number;
}

/**
 * Deletes the oldest logs until the directory's `*.log` / `*.log.gz` total at most `maxBytes` (`main.log` counts but
 * is never deleted). `maxBytes` ≤ 0 does nothing.
 */
export async function enforceSizeLimit(dir: string, maxBytes: number, protectedName = MAIN_LOG): Promise<SizeResult> {
  if (maxBytes <= 0) return { deleted: 0, total: 0 };
  const files = await list(dir, isLogFileName);
  let total = 0;
  for (const f of files) total += f.size;
  if (total <= maxBytes) return { deleted: 0, total };
  files.sort((a, b) => -newestFirst(a, b));
  let deleted = 0;
  for (const f of files) {
    if (total <= maxBytes) break;
    if (f.name === protectedName) continue;
    try {
      await unlink(join(dir, f.name));
      total -= f.size;
      deleted++;
    } catch {
      // Already gone or not ours to delete.
    }
  }
  return { deleted, total };
}

export interface CleanerLimits {
  readonly errorLogsMaxFiles: number;
  /** 0 = off. */
  readonly maxTotalBytes: number;
}

/** A full size scan at least this often even when the estimate is under the limit (other files grow too). */
const RESCAN_MS = 60_000;

/**
 * Runs cleanup passes for one directory, one at a time. `afterWrite` records what was written and runs what is due;
 * callers on the writer loop await it, the synchronous fallback does not.
 */
export class Cleaner {
  readonly #dir: string;
  readonly #limits: () => CleanerLimits;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  /** Estimated bytes of logs in the directory; null = unknown (scan on the next write). */
  #estimate: number | null = null;
  #lastScan = 0;
  #errorsDue = false;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(dir: string, limits: () => CleanerLimits, now: () => number, onError: (err: unknown) => void) {
    this.#dir = dir;
    this.#limits = limits;
    this.#now = now;
    this.#onError = onError;
  }

  /** Notes a written log and runs the passes now due. */
  afterWrite(bytes: number, forced: boolean): Promise<void> {
    if (this.#estimate !== null) this.#estimate += bytes;
    if (forced) this.#errorsDue = true;
    return this.run();
  }

  /** Limits or files changed: the next pass scans for size and applies the error-log limit. */
  invalidate(): void {
    this.#estimate = null;
    this.#errorsDue = true;
  }

  /** Runs due passes (again, if one is under way); resolves when none is left to run. */
  run(): Promise<void> {
    this.#again = true;
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** Resolves when no pass is running. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#again) {
        this.#again = false;
        await this.#pass();
      }
    } finally {
      this.#running = null;
    }
  }

  #sizeDue(maxBytes: number): boolean {
    if (maxBytes <= 0) return false;
    return this.#estimate === null || this.#estimate > maxBytes || this.#now() - this.#lastScan >= RESCAN_MS;
  }

  async #pass(): Promise<void> {
    const limits = this.#limits();
    try {
      if (this.#errorsDue) {
        this.#errorsDue = false;
        await cleanupErrorLogs(this.#dir, limits.errorLogsMaxFiles);
      }
      if (this.#sizeDue(limits.maxTotalBytes)) {
        this.#lastScan = this.#now();
        const r = await enforceSizeLimit(this.#dir, limits.maxTotalBytes);
        this.#estimate = r.total;
      }
    } catch (err) {
      this.#onError(err);
    }
  }
}
