/**
 * `main.log` with size-based rotation, as CLIProxyAPI configures lumberjack for `logging-to-file`: files up to
 * 10 MB, the full file renamed to `main-<UTC YYYY-MM-DDTHH-MM-SS.mmm>.log` before the next line would overflow it,
 * every backup kept, nothing compressed (`logs-max-total-size-mb` may delete old backups, never `main.log`).
 *
 * `write` only appends to an in-memory batch and schedules a flush, so it can serve as a synchronous log sink
 * (`LogOutput.sink`) without blocking on disk. Lines are written in order, one append per batch.
 */
import { appendFile, mkdir, rename, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { LogLevel } from "../../core/log.ts";

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

export interface RotatingFileOptions {
  readonly path: string;
  /** Rotate before a write would make the file larger than this (default 10 MiB). */
  readonly maxBytes?: number;
  readonly now?: () => number;
  /** Starts a flush soon (default: a zero-delay timer). */
  readonly schedule?: (run: () => void) => void;
  /** A flush failed (once per run of failures; the lines of that flush are lost). */
  readonly onError?: (err: unknown) => void;
  /** After each rotation (a new backup counts toward `logs-max-total-size-mb`). */
  readonly onRotate?: (backupPath: string) => void;
}

/** UTF-8 length without encoding. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** lumberjack's backup name: `main.log` → `main-2026-11-25T22-01-05.123.log` (UTC). */
export function backupName(path: string, epochMs: number): string {
  const d = new Date(epochMs);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}-${
    pad(d.getUTCMinutes())
  }-${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  const ext = extname(path);
  const base = basename(path, ext);
  return join(dirname(path), `${base}-${stamp}${ext}`);
}

export class RotatingFile {
  readonly path: string;
  readonly maxBytes: number;
  readonly #now: () => number;
  readonly #schedule: (run: () => void) => void;
  readonly #onError: (err: unknown) => void;
  readonly #onRotate: (backupPath: string) => void;
  #pending: string[] = [];
  /** Size of the current file; null until the first flush looks. */
  #size: number | null = null;
  #scheduled = false;
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** The last flush failed: report again only after a success (the report may itself be a line for this file). */
  #failing = false;
  /** Backups made so far. */
  rotations = 0;

  constructor(opts: RotatingFileOptions) {
    this.path = opts.path;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#now = opts.now ?? Date.now;
    this.#schedule = opts.schedule ?? ((run) => void setTimeout(run, 0));
    this.#onError = opts.onError ?? (() => {});
    this.#onRotate = opts.onRotate ?? (() => {});
  }

  /** A `LogSink`: one line per call. */
  readonly sink = (_level: LogLevel, line: string): void => {
    this.write(line.endsWith("\n") ? line : line + "\n");
  };

  /** Queues `text` (whole lines) for the file. Ignored after `close()`. */
  write(text: string): void {
    if (this.#closed || text === "") return;
    this.#pending.push(text);
    if (!this.#scheduled && !this.#flushing) this.#kick();
  }

  #kick(): void {
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
      // Lines that came in after the drain's last look.
      if (this.#pending.length > 0 && !this.#scheduled && !this.#closed) this.#kick();
    });
    return this.#flushing;
  }

  /** Flushes and stops taking lines. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending;
      this.#pending = [];
      try {
        await this.#append(lines);
        this.#failing = false;
      } catch (err) {
        // These lines are lost (a log sink must not grow without bound while the disk fails); the next write retries.
        this.#size = null;
        if (!this.#failing) {
          this.#failing = true;
          this.#onError(err);
        }
      }
    }
  }

  async #append(lines: readonly string[]): Promise<void> {
    if (this.#size === null) {
      await mkdir(dirname(this.path), { recursive: true });
      try {
        this.#size = (await stat(this.path)).size;
      } catch {
        this.#size = 0;
      }
    }
    let batch = "";
    let batchBytes = 0;
    for (const line of lines) {
      const n = utf8Length(line);
      if (this.#size + batchBytes + n > this.maxBytes && this.#size + batchBytes > 0) {
        if (batch !== "") {
          await appendFile(this.path, batch, { mode: 0o600 });
          this.#size += batchBytes;
          batch = "";
          batchBytes = 0;
        }
        await this.#rotate();
      }
      batch += line;
      batchBytes += n;
    }
    if (batch !== "") {
      await appendFile(this.path, batch, { mode: 0o600 });
      this.#size += batchBytes;
    }
  }

  async #rotate(): Promise<void> {
    let target = backupName(this.path, this.#now());
    // Two rotations in one millisecond: keep both.
    for (let i = 1; await exists(target); i++) {
      target = backupName(this.path, this.#now()).replace(/\.log$/, `-${i}.log`);
    }
    await rename(this.path, target);
    this.#size = 0;
    this.rotations++;
    this.#onRotate(target);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
