/** The purge timer's source: the runtime's, unref'd so a cache never keeps a process alive; tests pass their own. */

export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node and Bun timers have `unref()`; Deno's are numbers released with `Deno.unrefTimer`. */
function unref(handle: unknown): void {
  if (typeof handle === "object" && handle !== null && typeof (handle as { unref?: unknown }).unref === "function") {
    (handle as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof handle === "number") deno?.unrefTimer?.(handle);
}

export const systemTimers: IntervalTimers = {
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    unref(handle);
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as Parameters<typeof clearInterval>[0]);
  },
};
