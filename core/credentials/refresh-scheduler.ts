/**
 * Keeps OAuth credentials fresh (behaviour.md §5.2): a loop looks at every credential each tick (5 s) and queues the
 * due ones (see `refresh-policy.ts`) on a bounded worker pool (`auth-auto-refresh-workers`, 16). One refresh per
 * credential runs at a time: a second trigger — the loop, or a request that got an OAuth 401 and called
 * {@link RefreshScheduler.refreshNow} — shares the running one.
 *
 * The provider owning a type supplies the refresh call; the scheduler owns the outcome:
 *
 * - success: the updated object is persisted through the `persist` callback (the auth directory's atomic write),
 *   errors and the failure count are cleared; if the result is still due, the next attempt waits 30 s;
 * - 401: the credential is marked unauthorized and never auto-refreshed again, until its file changes;
 * - any other failure: the next attempt waits 5, 10, 20, 40, then 60 min (the fork's curve; upstream CPA waits a flat
 *   5 min — pass `backoff: flatRefreshBackoff` for that), reset by a success.
 *
 * Time and timers are injected, so tests drive the loop without sleeping. State lives per credential id and survives
 * config reloads; {@link RefreshScheduler.snapshot} is what the management API shows.
 */
import type { JsonObject } from "../formats/wire-format.ts";
import type { Logger } from "../log.ts";
import { type AuthRecord, parseAuthRecord } from "./auth-record.ts";
import {
  DEFAULT_REFRESH_WORKERS,
  exponentialRefreshBackoff,
  REFRESH_INEFFECTIVE_MS,
  REFRESH_PENDING_MS,
  REFRESH_TICK_MS,
  type RefreshBackoff,
  refreshDueAt,
} from "./refresh-policy.ts";
import { globalFetchHttp, type RefreshHttp } from "./refresh-http.ts";
import { systemTimers, type Timers } from "./timers.ts";

/** What a provider's refresh call answers: the whole updated auth object, or the token endpoint's error. */
export type RefreshOutcome =
  | { readonly record: JsonObject }
  | { readonly error: { readonly status: number; readonly message: string } };

/**
 * Refreshes one credential's tokens. Must honour `signal` (aborted on timeout, removal or shutdown) and send through
 * `http` (the credential's outbound proxy applied). A thrown error counts as a failure with status 0 (network trouble).
 * Never log or return tokens in `message`.
 */
export type RefreshFn = (record: AuthRecord, signal: AbortSignal, http: RefreshHttp) => Promise<RefreshOutcome>;

/** How one credential type refreshes (data a provider plugin registers). */
export interface RefreshType {
  /** Refresh this long before expiry (without an expiry: this long after the last refresh); ≤ 0: once expired. */
  readonly leadMs: number;
  readonly refresh: RefreshFn;
}

export interface RefreshSchedulerOptions {
  /** The refresh of each type; types without one (API keys, unknown) are never refreshed. */
  readonly types: ReadonlyMap<string, RefreshType>;
  /**
   * Saves a refreshed object (wire it to `AuthDirectory.write(record.id, next, { onFailure: "keep" })`) and returns
   * the record as stored. When it throws, the refreshed record is still used in memory and the error is shown.
   */
  readonly persist: (record: AuthRecord, next: JsonObject) => Promise<AuthRecord | null>;
  /** Pool size (`auth-auto-refresh-workers`), default 16. */
  readonly workers?: number;
  /** Loop period, default 5 s. */
  readonly tickMs?: number;
  /** Longest a provider refresh may take before it is aborted and counted as failed, default 60 s. */
  readonly timeoutMs?: number;
  /** Wait after the n-th consecutive failure; default the fork's 5 → 10 → 20 → 40 → 60 min. */
  readonly backoff?: RefreshBackoff;
  readonly timers?: Timers;
  readonly log?: Logger;
  /** The HTTP leg for one credential's refresh (default: the global `fetch`, no proxy). */
  readonly http?: (record: AuthRecord) => RefreshHttp;
}

export type RefreshResult =
  | {
    readonly ok: true;
    /** The credential as it is now. */
    readonly record: AuthRecord;
    /** False when no refresh ran because the caller's record was already outdated (someone refreshed first). */
    readonly refreshed: boolean;
  }
  | {
    readonly ok: false;
    /** The token endpoint's status; 0 for network trouble, timeouts, and "nothing to refresh". */
    readonly status: number;
    readonly message: string;
    /** The credential is (now) marked unauthorized. */
    readonly unauthorized: boolean;
  };

/** Observable refresh state of one credential. Times are ms since the epoch. */
export interface CredentialRefreshState {
  readonly id: string;
  readonly type: string;
  readonly label: string;
  /** The type has a refresh (an OAuth credential this scheduler keeps fresh). */
  readonly autoRefresh: boolean;
  readonly unauthorized: boolean;
  /** Consecutive failed refreshes (the backoff level). */
  readonly failures: number;
  /** When the loop will next refresh it (now when overdue); null when it never will. */
  readonly nextRefreshAt: number | null;
  readonly lastRefreshAt: number | null;
  readonly expiresAt: number | null;
  readonly lastError: { readonly status: number; readonly message: string; readonly at: number } | null;
  /** Queued for the pool or running. */
  readonly pending: boolean;
  readonly refreshing: boolean;
}

interface State {
  record: AuthRecord;
  unauthorized: boolean;
  failures: number;
  notBefore: number;
  lastRefreshAt: number;
  lastError: { status: number; message: string; at: number } | null;
  queued: boolean;
  running: Promise<RefreshResult> | null;
  controller: AbortController | null;
}

const noop = () => {};
const SILENT: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => SILENT, debugEnabled: false };

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export class RefreshScheduler {
  #types: ReadonlyMap<string, RefreshType>;
  readonly #persist: RefreshSchedulerOptions["persist"];
  #workers: number;
  readonly #tickMs: number;
  readonly #timeoutMs: number;
  readonly #backoff: RefreshBackoff;
  readonly #timers: Timers;
  readonly #log: Logger;

  readonly #states = new Map<string, State>();
  /** Ids waiting for a worker, in order. */
  readonly #queue: string[] = [];
  /** Refreshes started by the pool and still running. */
  #active = 0;
  /** Every running refresh (pool and on-demand), for `idle`. */
  readonly #running = new Set<Promise<RefreshResult>>();
  #tickHandle: unknown = null;
  #started = false;
  #closed = false;

  readonly #http: (record: AuthRecord) => RefreshHttp;

  constructor(opts: RefreshSchedulerOptions) {
    this.#types = opts.types;
    this.#persist = opts.persist;
    this.#workers = Math.max(1, Math.floor(opts.workers ?? DEFAULT_REFRESH_WORKERS));
    this.#tickMs = Math.max(1, opts.tickMs ?? REFRESH_TICK_MS);
    this.#timeoutMs = Math.max(1, opts.timeoutMs ?? 60_000);
    this.#backoff = opts.backoff ?? exponentialRefreshBackoff;
    this.#timers = opts.timers ?? systemTimers;
    this.#log = opts.log ?? SILENT;
    this.#http = opts.http ?? (() => globalFetchHttp);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Credentials

  /**
   * Makes the tracked set exactly `records` (the auth directory's change event). New ids start fresh; an id whose
   * file content changed (a hash this scheduler did not write) starts fresh too — a re-login clears "unauthorized"
   * and the backoff; removed ids are forgotten and their running refresh is aborted and discarded.
   */
  sync(records: ReadonlyMap<string, AuthRecord> | Iterable<AuthRecord>): void {
    const list = records instanceof Map ? [...records.values()] : [...(records as Iterable<AuthRecord>)];
    const ids = new Set<string>();
    for (const r of list) {
      ids.add(r.id);
      this.upsert(r);
    }
    for (const id of [...this.#states.keys()]) if (!ids.has(id)) this.remove(id);
  }

  /** Adds or updates one credential (see {@link sync}). */
  upsert(record: AuthRecord): void {
    const s = this.#states.get(record.id);
    if (!s) {
      this.#states.set(record.id, {
        record,
        unauthorized: false,
        failures: 0,
        notBefore: 0,
        lastRefreshAt: 0,
        lastError: null,
        queued: false,
        running: null,
        controller: null,
      });
      return;
    }
    if (s.record.hash === record.hash) {
      s.record = record;
      return;
    }
    // Changed outside this scheduler: a new credential as far as refresh is concerned (CPA rebuilds its Auth).
    s.record = record;
    s.unauthorized = false;
    s.failures = 0;
    s.notBefore = 0;
    s.lastRefreshAt = 0;
    s.lastError = null;
  }

  /** Forgets a credential; a refresh running for it is aborted and its result discarded (never persisted). */
  remove(id: string): void {
    const s = this.#states.get(id);
    if (!s) return;
    this.#states.delete(id);
    s.queued = false;
    s.controller?.abort(new Error("credential removed"));
  }

  /** Replaces the refresh registrations (after a reload changed the enabled providers). */
  setTypes(types: ReadonlyMap<string, RefreshType>): void {
    this.#types = types;
  }

  /** Changes the pool size (`auth-auto-refresh-workers` reloaded). */
  setWorkers(n: number): void {
    this.#workers = Math.max(1, Math.floor(n));
    this.#pump();
  }

  // -------------------------------------------------------------------------------------------------------------
  // The loop

  /** Runs a tick now and then every `tickMs`. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.tick();
  }

  /** Stops the loop, aborts running refreshes and drops the queue. Final. */
  close(): void {
    this.#closed = true;
    this.#started = false;
    if (this.#tickHandle !== null) this.#timers.clearTimeout(this.#tickHandle);
    this.#tickHandle = null;
    for (const s of this.#states.values()) {
      s.queued = false;
      s.controller?.abort(new Error("refresh scheduler closed"));
    }
    this.#queue.length = 0;
  }

  /** One pass: queues every due credential and starts workers. Called by the loop; public for tests and tools. */
  tick(): void {
    if (this.#closed) return;
    if (this.#tickHandle !== null) this.#timers.clearTimeout(this.#tickHandle);
    this.#tickHandle = null;
    const now = this.#timers.now();
    for (const s of this.#states.values()) {
      if (s.queued || s.running) continue;
      if (!this.#isDue(s, now)) continue;
      s.queued = true;
      s.notBefore = now + REFRESH_PENDING_MS;
      this.#queue.push(s.record.id);
    }
    this.#pump();
    if (this.#started) this.#tickHandle = this.#timers.setTimeout(() => this.tick(), this.#tickMs);
  }

  /** Whether the loop would refresh `id` at `now`. */
  isDue(id: string, now = this.#timers.now()): boolean {
    const s = this.#states.get(id);
    return s !== undefined && this.#isDue(s, now);
  }

  #dueAt(s: State): number | null {
    const type = this.#types.get(s.record.type);
    if (!type) return null;
    return refreshDueAt(s.record, {
      leadMs: type.leadMs,
      unauthorized: s.unauthorized,
      notBefore: s.notBefore,
      lastRefreshAt: s.lastRefreshAt,
    });
  }

  #isDue(s: State, now: number): boolean {
    const at = this.#dueAt(s);
    return at !== null && at <= now;
  }

  #pump(): void {
    while (this.#active < this.#workers && this.#queue.length > 0) {
      const id = this.#queue.shift()!;
      const s = this.#states.get(id);
      if (!s || !s.queued) continue; // removed, or taken by refreshNow meanwhile
      s.queued = false;
      if (s.running) continue;
      this.#active++;
      void this.#start(s).finally(() => {
        this.#active--;
        this.#pump();
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Refreshing

  /**
   * Refreshes `id` now, outside the pool bound (a request is waiting): for a request that got an OAuth 401, which
   * retries once with the returned record. Shares a refresh already running for `id`. With `basis` (the record the
   * failed request used, or its `hash`), a credential already refreshed since is returned as is, without a call. A credential
   * marked unauthorized is not refreshed (its refresh token was refused; only a new file helps). Never throws.
   */
  refreshNow(id: string, opts: { basis?: AuthRecord | string } = {}): Promise<RefreshResult> {
    const s = this.#states.get(id);
    if (!s) return Promise.resolve(failure(0, `no credential ${id}`, false));
    if (s.running) return s.running;
    const basisHash = typeof opts.basis === "string" ? opts.basis : opts.basis?.hash;
    if (basisHash !== undefined && basisHash !== s.record.hash) {
      return Promise.resolve({ ok: true, record: s.record, refreshed: false });
    }
    if (this.#closed) return Promise.resolve(failure(0, "refresh scheduler closed", false));
    if (!this.#types.has(s.record.type)) {
      return Promise.resolve(failure(0, `type "${s.record.type}" has no token refresh`, false));
    }
    if (s.unauthorized) {
      return Promise.resolve(failure(401, s.lastError?.message ?? "unauthorized", true));
    }
    s.queued = false; // the pool entry, if any, is served by this run
    return this.#start(s);
  }

  /** Resolves when no refresh is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || (this.#queue.length > 0 && !this.#closed && this.#hasQueued())) {
      await Promise.allSettled([...this.#running]);
      await Promise.resolve();
    }
  }

  #hasQueued(): boolean {
    return this.#queue.some((id) => this.#states.get(id)?.queued === true);
  }

  #start(s: State): Promise<RefreshResult> {
    const run = this.#run(s).finally(() => {
      if (s.running === run) s.running = null;
      this.#running.delete(run);
    });
    s.running = run;
    this.#running.add(run);
    return run;
  }

  async #run(s: State): Promise<RefreshResult> {
    const type = this.#types.get(s.record.type);
    const basis = s.record;
    if (!type) return failure(0, `type "${basis.type}" has no token refresh`, false);
    const controller = new AbortController();
    s.controller = controller;
    const timer = this.#timers.setTimeout(
      () => controller.abort(new Error(`refresh timed out after ${Math.round(this.#timeoutMs / 1000)} s`)),
      this.#timeoutMs,
    );
    let outcome: RefreshOutcome;
    try {
      outcome = await abortable(type.refresh(basis, controller.signal, this.#http(basis)), controller.signal);
    } catch (err) {
      outcome = { error: { status: 0, message: err instanceof Error ? err.message : String(err) } };
    } finally {
      this.#timers.clearTimeout(timer);
      if (s.controller === controller) s.controller = null;
    }

    // Removed or shut down meanwhile: the result belongs to nobody, and persisting it would resurrect the file.
    if (this.#states.get(basis.id) !== s || this.#closed) {
      return failure(0, this.#closed ? "refresh scheduler closed" : "credential removed", false);
    }
    // The file changed while we refreshed (a re-login): it is newer than what we refreshed; keep it.
    if (s.record.hash !== basis.hash) return { ok: true, record: s.record, refreshed: false };

    const now = this.#timers.now();
    if ("error" in outcome) return this.#failed(s, outcome.error.status, outcome.error.message, now);

    // Validate before saving: a broken object must not replace a working file.
    const parsed = parseAuthRecord({ id: basis.id, path: basis.path, text: JSON.stringify(outcome.record) });
    if (parsed.kind !== "record") {
      return this.#failed(s, 0, `the refresh returned an unusable record: ${parsed.reason}`, now);
    }
    let record = parsed.record;
    let saveError: string | null = null;
    try {
      record = (await this.#persist(basis, outcome.record)) ?? record;
    } catch (err) {
      saveError = `refreshed, but saving the auth file failed: ${err instanceof Error ? err.message : String(err)}`;
      this.#log.error(`${basis.label} (${basis.id}): ${saveError}`);
    }
    if (this.#states.get(basis.id) !== s) return { ok: true, record, refreshed: true };
    s.record = record;
    s.failures = 0;
    s.unauthorized = false;
    s.lastRefreshAt = now;
    s.lastError = saveError === null ? null : { status: 0, message: saveError, at: now };
    s.notBefore = 0;
    // Still due with fresh tokens (the endpoint did not extend the expiry): do not spin.
    if (this.#isDue(s, now)) s.notBefore = now + REFRESH_INEFFECTIVE_MS;
    this.#log.debug(`refreshed ${basis.label} (${basis.id})`);
    return { ok: true, record, refreshed: true };
  }

  #failed(s: State, status: number, message: string, now: number): RefreshResult {
    s.lastError = { status, message, at: now };
    if (status === 401) {
      s.unauthorized = true;
      s.failures = 0;
      s.notBefore = 0;
      this.#log.warn(
        `token refresh of ${s.record.label} (${s.record.id}) was refused (401): marked unauthorized, ` +
          "no further automatic refresh until its auth file changes",
      );
      return failure(401, message, true);
    }
    s.failures++;
    const wait = this.#backoff(s.failures);
    s.notBefore = now + wait;
    this.#log.warn(
      `token refresh of ${s.record.label} (${s.record.id}) failed` +
        `${status ? ` (${status})` : ""}: ${message}; attempt ${s.failures}, next in ${minutes(wait)}`,
    );
    return failure(status, message, false);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Observation

  /** The refresh state of one credential. */
  state(id: string): CredentialRefreshState | null {
    const s = this.#states.get(id);
    return s ? this.#view(s, this.#timers.now()) : null;
  }

  /** The refresh state of every credential, by id order. */
  snapshot(): CredentialRefreshState[] {
    const now = this.#timers.now();
    return [...this.#states.values()]
      .map((s) => this.#view(s, now))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  #view(s: State, now: number): CredentialRefreshState {
    const due = s.running || s.queued ? null : this.#dueAt(s);
    return {
      id: s.record.id,
      type: s.record.type,
      label: s.record.label,
      autoRefresh: this.#types.has(s.record.type),
      unauthorized: s.unauthorized,
      failures: s.failures,
      nextRefreshAt: s.running || s.queued ? now : due === null ? null : Math.max(due, now),
      lastRefreshAt: s.lastRefreshAt > 0 ? s.lastRefreshAt : s.record.lastRefresh ?? null,
      expiresAt: s.record.expiresAt ?? null,
      lastError: s.lastError,
      pending: s.queued || s.running !== null,
      refreshing: s.running !== null,
    };
  }
}

function failure(status: number, message: string, unauthorized: boolean): RefreshResult {
  return { ok: false, status, message, unauthorized };
}

/** Settles with `p`, or rejects with the signal's reason as soon as it aborts (a provider that ignores it). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
