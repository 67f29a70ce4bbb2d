/** Shared pieces of the signature-cache tests: a manual clock, manual interval timers, signatures of a given length. */
import type { IntervalTimers } from "../../../plugins/signature-cache/mod.ts";

export const HOUR = 60 * 60 * 1000;
export const MINUTE = 60 * 1000;

/** A clock the test moves by hand (epoch ms). */
export class ManualClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Interval timers that only fire when the test says so. */
export class ManualTimers implements IntervalTimers {
  readonly active = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;
  started = 0;
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.active.set(id, { fn, ms });
    this.started++;
    return id;
  }
  clearInterval(handle: unknown): void {
    this.active.delete(handle as number);
  }
  /** Runs every active interval once. */
  tick(): void {
    for (const t of [...this.active.values()]) t.fn();
  }
}

/** A signature of exactly `n` characters (distinct per `tag`). */
export function sig(n: number, tag = "s"): string {
  const base = `${tag}-`;
  return (base + "A".repeat(Math.max(0, n))).slice(0, n);
}
