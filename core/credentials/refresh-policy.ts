/**
 * When an OAuth credential is due for a token refresh, and how long to wait after a failed one (behaviour.md §5.2).
 *
 * Pure functions of a record, its in-memory refresh state and the time, so the scheduler and the management view
 * agree and tests need no clock.
 */
import type { AuthRecord } from "./auth-record.ts";

const MINUTE = 60_000;

/** The loop's period (CPA `refreshCheckInterval`). */
export const REFRESH_TICK_MS = 5_000;
/** Concurrent refreshes of the loop (`auth-auto-refresh-workers`, CPA `refreshMaxConcurrency`). */
export const DEFAULT_REFRESH_WORKERS = 16;
/** A queued credential is not queued again for this long (CPA `refreshPendingBackoff`). */
export const REFRESH_PENDING_MS = MINUTE;
/** A refresh that succeeded but left the credential due waits this long (CPA `refreshIneffectiveBackoff`). */
export const REFRESH_INEFFECTIVE_MS = 30_000;
/** First failure backoff, and upstream CPA's only one (`refreshFailureBackoff`). */
export const REFRESH_FAILURE_BASE_MS = 5 * MINUTE;
/** The fork's cap (`refreshFailureBackoffMax`). */
export const REFRESH_FAILURE_MAX_MS = 60 * MINUTE;

/** Wait after the `failures`-th consecutive failed refresh (1-based). */
export type RefreshBackoff = (failures: number) => number;

/**
 * The fork's curve (`FORK[refresh-backoff]` in Z-M-Huang/CLIProxyAPI `sdk/cliproxy/auth/conductor.go`): 5, 10, 20,
 * 40 min, then 60 min for every further failure. The count lives in memory and a success resets it.
 */
export const exponentialRefreshBackoff: RefreshBackoff = (failures) =>
  Math.min(REFRESH_FAILURE_BASE_MS * 2 ** Math.max(0, failures - 1), REFRESH_FAILURE_MAX_MS);

/** Upstream CPA (`conductor_refresh.go`): a flat 5 min after every failure, however many there were. */
export const flatRefreshBackoff: RefreshBackoff = () => REFRESH_FAILURE_BASE_MS;

/** What the due rule needs besides the record. */
export interface RefreshTiming {
  /** Lead time of the record's type: refresh this long before expiry; ≤ 0 = only once expired. */
  readonly leadMs: number;
  /** Set by a 401 from the token endpoint: no automatic refresh until the file changes. */
  readonly unauthorized: boolean;
  /** Not before this time (backoff after a failure, a pending queue entry, an ineffective success); 0 = none. */
  readonly notBefore: number;
  /** Last successful refresh in this process (wins over the file's `last_refresh`); 0 = none. */
  readonly lastRefreshAt: number;
}

/**
 * The time (ms epoch) from which the credential is due; `-Infinity` when it is due whatever the time, `null` when it
 * never is (unauthorized). A credential is due at `now` when the result is ≤ `now`. The rule is CPA's `shouldRefresh`:
 *
 * - with `refresh_interval_seconds`: due when expiry − now ≤ interval, or now − last refresh ≥ interval, or it was
 *   never refreshed;
 * - else with an expiry: due when expiry − now ≤ lead (lead ≤ 0: once expired);
 * - else: due when now − last refresh ≥ lead, or it was never refreshed (lead ≤ 0: never);
 *
 * and never before `notBefore`.
 */
export function refreshDueAt(record: AuthRecord, t: RefreshTiming): number | null {
  if (t.unauthorized) return null;
  const base = baseDueAt(record, t);
  if (base === null) return null;
  return t.notBefore > base ? t.notBefore : base;
}

function baseDueAt(record: AuthRecord, t: RefreshTiming): number | null {
  const last = t.lastRefreshAt > 0 ? t.lastRefreshAt : record.lastRefresh;
  const expiry = record.expiresAt;
  const interval = record.refreshIntervalMs;
  if (interval !== undefined && interval > 0) {
    if (last === undefined) return Number.NEGATIVE_INFINITY;
    const byLast = last + interval;
    return expiry === undefined ? byLast : Math.min(byLast, expiry - interval);
  }
  if (t.leadMs <= 0) return expiry === undefined ? null : expiry;
  if (expiry !== undefined) return expiry - t.leadMs;
  if (last !== undefined) return last + t.leadMs;
  return Number.NEGATIVE_INFINITY;
}
