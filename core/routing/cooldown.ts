/**
 * Per credential + model health, as CLIProxyAPI keeps it (behaviour.md §3.3): how long a failure benches a credential
 * for one model (or, for a credential-wide quota, for every model), counters for the management view, and the earliest
 * recovery for the "all cooling" answer. State lives outside snapshots, so a reload keeps it; time comes from an
 * injectable clock so tests never sleep.
 */
import { cloudflareChallenge, modelUnsupported } from "./failure.ts";

/** Milliseconds since the epoch. */
export type Clock = () => number;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const AUTH_FAILURE_COOLDOWN_MS = 30 * MINUTE;
export const NOT_FOUND_COOLDOWN_MS = 12 * HOUR;
export const RATE_LIMIT_MAX_MS = 30 * MINUTE;
export const DEFAULT_TRANSIENT_COOLDOWN_MS = 60 * SECOND;
const CLOUDFLARE_MIN_MS = 10 * SECOND;

/** What a failed attempt tells the tracker. */
export interface FailureReport {
  readonly status: number;
  /** The upstream error body (for `invalid_grant`, model-not-supported and Cloudflare detection). */
  readonly body: string;
  /** Parsed `Retry-After`, when the upstream sent one. */
  readonly retryAfterMs?: number;
  /** `transient-error-cooldown-seconds` in ms: 0 = default (60 s), negative = never cool on transient errors. */
  readonly transientMs: number;
  /** `disable-cooling`, global or per entry: record the failure but never bench the credential. */
  readonly disableCooling: boolean;
  /** The failure exhausted a quota that covers every model of the credential. */
  readonly credentialWide?: boolean;
}

export interface CredentialHealth {
  readonly credentialId: string;
  readonly successes: number;
  readonly failures: number;
  readonly lastError: { readonly status: number; readonly message: string; readonly at: number } | null;
  /** Active cooldowns: model ("*" = every model) → reset time (ms epoch). */
  readonly cooldowns: Readonly<Record<string, number>>;
}

interface ModelState {
  until: number;
  /** Consecutive 429s without Retry-After, for the exponential backoff. */
  level: number;
}

interface CredentialState {
  successes: number;
  failures: number;
  lastError: { status: number; message: string; at: number } | null;
  models: Map<string, ModelState>;
  /** A credential-wide block (quota covering every model). */
  allUntil: number;
}

const ALL_MODELS = "*";


/** Parses `Retry-After` (seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * SECOND);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export class CooldownTracker {
  readonly #clock: Clock;
  readonly #credentials = new Map<string, CredentialState>();

  constructor(clock: Clock = Date.now) {
    this.#clock = clock;
  }

  get now(): number {
    return this.#clock();
  }

  #state(id: string): CredentialState {
    let s = this.#credentials.get(id);
    if (!s) {
      s = { successes: 0, failures: 0, lastError: null, models: new Map(), allUntil: 0 };
      this.#credentials.set(id, s);
    }
    return s;
  }

  /** Reset time (ms epoch) of the cooldown that benches `credentialId` for `model`, or 0 when it is usable. */
  coolingUntil(credentialId: string, model: string, now = this.#clock()): number {
    const s = this.#credentials.get(credentialId);
    // Fast path: a credential that never failed has no state at all.
    if (s === undefined) return 0;
    const m = s.models.get(model);
    const until = Math.max(s.allUntil, m?.until ?? 0);
    return until > now ? until : 0;
  }

  /**
   * Records a failure and returns the cooldown applied (ms, 0 when none). Request faults never reach here: the
   * caller returns them to the client without touching credential health.
   */
  recordFailure(credentialId: string, model: string, report: FailureReport): number {
    const now = this.#clock();
    const s = this.#state(credentialId);
    s.failures++;
    s.lastError = { status: report.status, message: report.body.slice(0, 512), at: now };
    const key = report.credentialWide ? ALL_MODELS : model;
    let m = s.models.get(key);
    if (!m) s.models.set(key, (m = { until: 0, level: 0 }));
    const ms = this.#cooldownFor(report, m);
    if (ms <= 0 || report.disableCooling) return 0;
    if (report.credentialWide) s.allUntil = Math.max(s.allUntil, now + ms);
    else m.until = Math.max(m.until, now + ms);
    return ms;
  }

  #cooldownFor(r: FailureReport, m: ModelState): number {
    const status = r.status;
    if (status === 429) {
      if (r.retryAfterMs !== undefined) return r.retryAfterMs;
      // 1 s · 2^level, capped at 30 min (behaviour.md vector 11).
      const ms = Math.min(SECOND * 2 ** m.level, RATE_LIMIT_MAX_MS);
      m.level++;
      return ms;
    }
    if (status === 401 || status === 402 || status === 403 || r.body.includes("invalid_grant")) {
      return AUTH_FAILURE_COOLDOWN_MS;
    }
    if (status === 404) return NOT_FOUND_COOLDOWN_MS;
    if ((status === 400 || status === 422) && modelUnsupported(r.body)) return NOT_FOUND_COOLDOWN_MS;
    if (cloudflareChallenge(r.body)) {
      const ms = Math.min(Math.max(CLOUDFLARE_MIN_MS, SECOND * 2 ** m.level), RATE_LIMIT_MAX_MS);
      m.level++;
      return ms;
    }
    if (r.transientMs < 0) return 0;
    return r.transientMs === 0 ? DEFAULT_TRANSIENT_COOLDOWN_MS : r.transientMs;
  }

  /** A success clears the model's cooldown and backoff (and a credential-wide block). */
  recordSuccess(credentialId: string, model: string): void {
    const s = this.#credentials.get(credentialId);
    if (s === undefined) {
      this.#state(credentialId).successes++;
      return;
    }
    s.successes++;
    s.models.delete(model);
    s.allUntil = 0;
  }

  /** Forgets a credential (removed from config or auth dir). */
  forget(credentialId: string): void {
    this.#credentials.delete(credentialId);
  }

  /** Observable state for the management API. */
  health(): CredentialHealth[] {
    const now = this.#clock();
    const out: CredentialHealth[] = [];
    for (const [id, s] of this.#credentials) {
      const cooldowns: Record<string, number> = {};
      if (s.allUntil > now) cooldowns[ALL_MODELS] = s.allUntil;
      for (const [model, m] of s.models) if (m.until > now) cooldowns[model] = m.until;
      out.push({ credentialId: id, successes: s.successes, failures: s.failures, lastError: s.lastError, cooldowns });
    }
    return out;
  }
}

/** `1m30s` style, as CLIProxyAPI prints `reset_time`. */
export function formatDuration(ms: number): string {
  let s = Math.ceil(ms / SECOND);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
}
