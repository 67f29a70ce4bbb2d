/**
 * Writes request logs to files: renders the entry, writes it to a hidden temp file in the log directory and renames
 * it into place, so a crash never leaves a half-written `*.log` (a leftover `.*.tmp` is not a log and is ignored by
 * the cleaners). Files are created 0600: they hold prompts and answers. After each write the {@link Cleaner} runs.
 */
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cleaner, type CleanerLimits } from "./cleanup.ts";
import type { EmitterSink } from "./emitter.ts";
import type { LogEntry } from "./entry.ts";
import { renderLog } from "./format.ts";
import { logFileName } from "./naming.ts";

export interface FileSinkOptions {
  readonly dir: string;
  /** Written as `Version:`. */
  readonly version: string;
  readonly limits: () => CleanerLimits;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

let tmpCounter = 0;

function tmpName(name: string): string {
  tmpCounter = (tmpCounter + 1) | 0;
  return `.${name}.${(tmpCounter >>> 0).toString(36)}${Math.floor(Math.random() * 0x7fffffff).toString(36)}.tmp`;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ENOENT";
}

export class FileLogSink implements EmitterSink<LogEntry> {
  readonly dir: string;
  readonly cleaner: Cleaner;
  readonly #version: string;
  #dirReady = false;
  /** Files written (both paths). */
  written = 0;

  constructor(opts: FileSinkOptions) {
    this.dir = opts.dir;
    this.#version = opts.version;
    const onError = opts.onError ?? (() => {});
    this.cleaner = new Cleaner(opts.dir, opts.limits, opts.now ?? Date.now, onError);
  }

  /** The file name `entry` is written under. */
  fileName(entry: LogEntry): string {
    return logFileName(entry.url, entry.timestamp, entry.requestId, entry.forced);
  }

  async write(entry: LogEntry): Promise<void> {
    const name = this.fileName(entry);
    const bytes = renderLog(entry, this.#version);
    await this.#writeAtomic(name, bytes);
    this.written++;
    await this.cleaner.afterWrite(bytes.byteLength, entry.forced);
  }

  writeSync(entry: LogEntry): void {
    const name = this.fileName(entry);
    const bytes = renderLog(entry, this.#version);
    this.#writeAtomicSync(name, bytes);
    this.written++;
    // The cleanup itself need not block the caller.
    void this.cleaner.afterWrite(bytes.byteLength, entry.forced);
  }

  /** Resolves when no cleanup pass is running. */
  idle(): Promise<void> {
    return this.cleaner.idle();
  }

  async #writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    if (!this.#dirReady) {
      await mkdir(this.dir, { recursive: true });
      this.#dirReady = true;
    }
    const tmp = join(this.dir, tmpName(name));
    try {
      await writeFile(tmp, bytes, { mode: 0o600, flag: "wx" });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // The directory was removed under us: make it again, once.
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, bytes, { mode: 0o600, flag: "wx" });
    }
    try {
      await rename(tmp, join(this.dir, name));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  #writeAtomicSync(name: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, tmpName(name));
    writeFileSync(tmp, bytes, { mode: 0o600, flag: "wx" });
    try {
      renameSync(tmp, join(this.dir, name));
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing left to remove.
      }
      throw err;
    }
  }
}
