/**
 * Holds the current snapshot. A swap is one reference assignment; requests lease the snapshot they start on, so the
 * plugins of a replaced snapshot are disposed only once its last request has finished (streams included).
 */
import type { Snapshot } from "./snapshot.ts";

export type SnapshotListener = (next: Snapshot, prev: Snapshot) => void;

export class SnapshotStore {
  #current: Snapshot;
  readonly #leases = new Map<Snapshot, number>();
  readonly #idle = new Map<Snapshot, (() => void)[]>();
  readonly #listeners = new Set<SnapshotListener>();

  constructor(initial: Snapshot) {
    this.#current = initial;
  }

  /** The snapshot new requests start on. Read it once per request. */
  get current(): Snapshot {
    return this.#current;
  }

  /** Takes a lease on the current snapshot; pair with exactly one `release`. */
  acquire(): Snapshot {
    const s = this.#current;
    this.#leases.set(s, (this.#leases.get(s) ?? 0) + 1);
    return s;
  }

  release(s: Snapshot): void {
    const n = (this.#leases.get(s) ?? 1) - 1;
    if (n > 0) {
      this.#leases.set(s, n);
      return;
    }
    this.#leases.delete(s);
    if (s !== this.#current) this.#notifyIdle(s);
  }

  /** Every snapshot that still has a request running on it. */
  leasedSnapshots(): Snapshot[] {
    return [...this.#leases.keys()];
  }

  /** Number of requests still running on `s`. */
  inflight(s: Snapshot): number {
    return this.#leases.get(s) ?? 0;
  }

  /** Resolves once no request holds `s` and it is no longer current. */
  whenIdle(s: Snapshot): Promise<void> {
    if (s !== this.#current && !this.#leases.has(s)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#idle.get(s) ?? [];
      waiters.push(resolve);
      this.#idle.set(s, waiters);
    });
  }

  /** Makes `next` current and tells the listeners. Returns the replaced snapshot. */
  swap(next: Snapshot): Snapshot {
    const prev = this.#current;
    this.#current = next;
    if (!this.#leases.has(prev)) this.#notifyIdle(prev);
    for (const l of this.#listeners) {
      try {
        l(next, prev);
      } catch (err) {
        next.log.error(`Snapshot listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return prev;
  }

  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notifyIdle(s: Snapshot): void {
    const waiters = this.#idle.get(s);
    if (!waiters) return;
    this.#idle.delete(s);
    for (const w of waiters) w();
  }
}
