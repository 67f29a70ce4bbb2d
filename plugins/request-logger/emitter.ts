/**
 * The async log emitter: takes file I/O off the response path with one writer loop and two bounded lanes.
 *
 * - **Normal lane** (default 256): when full, the **oldest** queued entry is dropped to make room and counted in
 *   `dropped`. After `close()`, a normal entry is dropped (and counted) at once.
 * - **Priority lane** (default 64), for forced error logs: it **never drops**. When it is full, or the emitter is
 *   closed, the entry is written synchronously by the caller (`sink.writeSync`).
 * - The writer loop takes priority entries first, then normal ones; it keeps up to `concurrency` writes in flight
 *   (default 1: one at a time, as the fork's single worker; more lets slow file systems overlap their I/O).
 * - Entries are snapshotted at enqueue (`snapshot`), so a caller that reuses or mutates what it passed afterwards
 *   cannot change the log.
 * - `flush()` resolves once nothing is queued **or being written**; `close()` drains both lanes (priority first) and
 *   resolves when the last write is done.
 *
 * The behaviour follows the CLIProxyAPI fork's `internal/logging/async_emitter.go`; JavaScript's single thread makes
 * its locks unnecessary: enqueue runs to completion, so no write can slip between a check and a push.
 */
import { Ring } from "./ring.ts";

export interface EmitterSink<T> {
  /** Writes one entry; the loop awaits it before taking the next. */
  write(entry: T): Promise<void>;
  /** Writes one entry before returning: the fallback that keeps forced logs from ever dropping. */
  writeSync(entry: T): void;
}

export interface EmitterOptions<T> {
  readonly sink: EmitterSink<T>;
  /** Normal lane capacity (default 256). */
  readonly normalCapacity?: number;
  /** Priority lane capacity (default 64). */
  readonly priorityCapacity?: number;
  /** Makes the entry independent of the caller's objects; runs once per queued entry (default: identity). */
  readonly snapshot?: (entry: T) => T;
  /** Writes in flight at once (default 1). Queued entries only leave their lane when a slot is free. */
  readonly concurrency?: number;
  /** Starts the writer loop soon, off the caller's stack (default: a zero-delay timer). Tests inject their own. */
  readonly schedule?: (run: () => void) => void;
  /** A write that failed (the entry is lost; the loop goes on). */
  readonly onError?: (err: unknown, entry: T) => void;
}

/** What `enqueue` did with an entry. */
export type EnqueueResult = "queued" | "queued-dropped-oldest" | "written-sync" | "dropped";

export const DEFAULT_NORMAL_CAPACITY = 256;
export const DEFAULT_PRIORITY_CAPACITY = 64;

const defaultSchedule = (run: () => void) => {
  setTimeout(run, 0);
};

export class AsyncEmitter<T> {
  readonly #sink: EmitterSink<T>;
  readonly #normal: Ring<T>;
  readonly #priority: Ring<T>;
  readonly #snapshot: ((entry: T) => T) | null;
  readonly #schedule: (run: () => void) => void;
  readonly #onError: (err: unknown, entry: T) => void;
  readonly #concurrency: number;
  #dropped = 0;
  #syncWrites = 0;
  #written = 0;
  /** A loop start is scheduled. */
  #scheduled = false;
  /** Entries being written. */
  #inFlight = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #closing: Promise<void> | null = null;

  constructor(opts: EmitterOptions<T>) {
    this.#sink = opts.sink;
    this.#normal = new Ring(opts.normalCapacity ?? DEFAULT_NORMAL_CAPACITY);
    this.#priority = new Ring(opts.priorityCapacity ?? DEFAULT_PRIORITY_CAPACITY);
    this.#snapshot = opts.snapshot ?? null;
    this.#schedule = opts.schedule ?? defaultSchedule;
    this.#onError = opts.onError ?? (() => {});
    const c = opts.concurrency ?? 1;
    this.#concurrency = Number.isInteger(c) && c >= 1 ? c : 1;
  }

  /** How many entries the normal lane holds before it drops its oldest. */
  get normalCapacity(): number {
    return this.#normal.capacity;
  }

  /** Normal entries dropped: the oldest when the lane was full, and every normal entry after `close()`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Priority entries written synchronously because their lane was full or the emitter closed. */
  get syncWrites(): number {
    return this.#syncWrites;
  }

  /** Entries the loop has finished writing (successfully or not). */
  get written(): number {
    return this.#written;
  }

  /** Entries queued or being written. */
  get pending(): number {
    return this.#normal.size + this.#priority.size + this.#inFlight;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues `entry` (priority: a forced error log). Never throws, never blocks, except the sync fallback. */
  enqueue(entry: T, priority = false): EnqueueResult {
    if (priority) {
      if (this.#closed || this.#priority.full) {
        this.#writeSync(entry);
        return "written-sync";
      }
      this.#priority.push(this.#snapshot === null ? entry : this.#snapshot(entry));
      this.#kick();
      return "queued";
    }
    if (this.#closed) {
      this.#dropped++;
      return "dropped";
    }
    let result: EnqueueResult = "queued";
    if (this.#normal.full) {
      this.#normal.shift();
      this.#dropped++;
      result = "queued-dropped-oldest";
    }
    this.#normal.push(this.#snapshot === null ? entry : this.#snapshot(entry));
    this.#kick();
    return result;
  }

  /** Resolves when no entry is queued or being written. */
  flush(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops taking normal entries, writes everything queued (priority lane first) and resolves when the last write is
   * done. Forced entries enqueued afterwards are written synchronously. Safe to call more than once.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = this.flush();
    return this.#closing;
  }

  #writeSync(entry: T): void {
    this.#syncWrites++;
    try {
      this.#sink.writeSync(entry);
    } catch (err) {
      this.#report(err, entry);
    }
  }

  #idle(): boolean {
    return !this.#scheduled && this.#inFlight === 0 && this.#priority.size === 0 && this.#normal.size === 0;
  }

  #kick(): void {
    if (this.#scheduled || this.#inFlight >= this.#concurrency) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Starts writes while a slot is free and an entry is queued (priority lane first). */
  #pump(): void {
    while (this.#inFlight < this.#concurrency) {
      const entry = this.#priority.size > 0 ? this.#priority.shift() : this.#normal.shift();
      if (entry === undefined) break;
      this.#inFlight++;
      let write: Promise<void>;
      try {
        write = this.#sink.write(entry);
      } catch (err) {
        write = Promise.reject(err);
      }
      write.then(
        () => this.#done(),
        (err) => {
          this.#report(err, entry);
          this.#done();
        },
      );
    }
    if (this.#idle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #done(): void {
    this.#inFlight--;
    this.#written++;
    this.#pump();
  }

  #report(err: unknown, entry: T): void {
    try {
      this.#onError(err, entry);
    } catch {
      // A failing error reporter must not stop the loop.
    }
  }
}
