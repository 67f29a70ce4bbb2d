/**
 * File-based credentials: auth-dir records, the watched directory, and the token refresh scheduler.
 *
 * - `auth-record.ts`: one JSON file → {@link AuthRecord} (common §5.1 fields parsed, the raw object frozen).
 * - `auth-dir.ts`: {@link AuthDirectory} — load, hash, watch, debounce, atomic 0600 writes.
 * - `refresh-policy.ts`: the due rule and the backoff curves (pure).
 * - `refresh-scheduler.ts`: {@link RefreshScheduler} — tick loop, pool, single-flight, backoff, 401 handling, state.
 * - `auth-files.ts`: {@link AuthFiles} — the two wired together, as the runtime uses them.
 * - `timers.ts`: the injectable clock.
 *
 * @module
 */
export {
  type AuthParseResult,
  type AuthRecord,
  type AuthSource,
  parseAuthRecord,
  type RecordModelAlias,
  REMOVED_TYPES,
} from "./auth-record.ts";
export {
  AuthDirectory,
  type AuthDirectoryListener,
  type AuthDirectoryOptions,
  type AuthFileIssue,
  AuthWriteError,
  type DirWatcherFactory,
  expandHome,
  nodeDirWatcher,
  type WriteOptions,
} from "./auth-dir.ts";
export {
  exponentialRefreshBackoff,
  flatRefreshBackoff,
  type RefreshBackoff,
  refreshDueAt,
  type RefreshTiming,
} from "./refresh-policy.ts";
export {
  type CredentialRefreshState,
  type RefreshFn,
  type RefreshOutcome,
  type RefreshResult,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type RefreshType,
} from "./refresh-scheduler.ts";
export { AuthFiles, type AuthFilesOptions, type AuthFilesState, type AuthTypeRegistration } from "./auth-files.ts";
export { systemTimers, type Timers } from "./timers.ts";
