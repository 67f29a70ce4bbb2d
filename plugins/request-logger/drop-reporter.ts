/**
 * Tells the operator when request logs were dropped. The emitter's normal lane drops its oldest entry when the writer
 * falls behind (a disk slower than the request rate), which protects the response path but would otherwise lose logs
 * silently. The first drop is reported at once; later ones are summed and reported at most once per interval, and
 * whatever is left is reported on {@link DropReporter.flush} (shutdown).
 */

export interface DropReporterTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: DropReporterTimers = {
  setTimeout(run, ms) {
    const t = setTimeout(run, ms);
    // A pending report must not keep the process alive.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const DROP_REPORT_INTERVAL_MS = 10_000;

export class DropReporter {
  readonly #report: (dropped: number) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #timers: DropReporterTimers;
  /** Drops not reported yet. */
  #unreported = 0;
  /** When the last report went out (-Infinity: never). */
  #lastReport = -Infinity;
  #timer: unknown = null;

  constructor(
    report: (dropped: number) => void,
    opts: { intervalMs?: number; now?: () => number; timers?: DropReporterTimers } = {},
  ) {
    this.#report = report;
    this.#intervalMs = opts.intervalMs ?? DROP_REPORT_INTERVAL_MS;
    // A monotonic clock: a wall clock set back would hold the next report for as long.
    this.#now = opts.now ?? (() => performance.now());
    this.#timers = opts.timers ?? systemTimers;
  }

  /** One entry was dropped. */
  dropped(): void {
    this.#unreported++;
    if (this.#timer !== null) return;
    const wait = this.#lastReport + this.#intervalMs - this.#now();
    if (wait <= 0) this.flush();
    else this.#timer = this.#timers.setTimeout(() => this.flush(), wait);
  }

  /** Reports the drops not reported yet, if any. */
  flush(): void {
    if (this.#timer !== null) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#unreported === 0) return;
    const n = this.#unreported;
    this.#unreported = 0;
    this.#lastReport = this.#now();
    this.#report(n);
  }
}
