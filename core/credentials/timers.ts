/**
 * Time for the credential modules, injectable so tests drive it instead of sleeping (the style of
 * `core/routing/cooldown.ts`, plus timers, because the refresh scheduler runs a loop).
 */

export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The runtime's clock and timers. Its timers do not keep the process alive on their own. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    unrefTimer(t);
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Lets the process exit while only this timer is pending (Node and Bun timers are objects, Deno's are numbers). */
export function unrefTimer(t: unknown): void {
  if (typeof t === "object" && t !== null && "unref" in t && typeof t.unref === "function") {
    t.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof t === "number") deno?.unrefTimer?.(t);
}
