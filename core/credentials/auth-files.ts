/**
 * The auth directory and the refresh scheduler, wired together: what the runtime owns for file-based credentials.
 *
 * - The directory's (debounced) change events keep the scheduler's set of credentials in step, then reach the
 *   subscribers (the runtime, which rebuilds the routing table from the records).
 * - A refreshed record is saved through the directory's atomic write (memory kept if the disk fails), so the watcher
 *   does not echo it and the scheduler's state (failure count, last refresh) is not reset by its own write.
 * - An on-demand refresh (a request got an OAuth 401) fans the new record out at once, so the retry sees it.
 *
 * State outlives config reloads: {@link AuthFiles.configure} swaps the types and the pool size in place.
 */
import type { Logger } from "../log.ts";
import { AuthDirectory, type AuthDirectoryListener, type AuthFileIssue, type DirWatcherFactory } from "./auth-dir.ts";
import type { AuthRecord } from "./auth-record.ts";
import type { RefreshBackoff } from "./refresh-policy.ts";
import type { RefreshHttp } from "./refresh-http.ts";
import {
  type CredentialRefreshState,
  type RefreshResult,
  RefreshScheduler,
  type RefreshType,
} from "./refresh-scheduler.ts";
import type { Timers } from "./timers.ts";

/** What a provider registers for one auth-file `type`. */
export interface AuthTypeRegistration {
  /** Present for OAuth types whose tokens expire. */
  readonly refresh?: RefreshType;
}

export interface AuthFilesOptions {
  /** `auth-dir`. */
  readonly dir: string;
  /** Every type a provider claims (files of other types are listed and skipped). */
  readonly types: ReadonlyMap<string, AuthTypeRegistration>;
  /** `auth-auto-refresh-workers`. */
  readonly workers?: number;
  /** Watch the directory and run the refresh loop (default true; false: load once, refresh only on demand). */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly removeGraceMs?: number;
  readonly tickMs?: number;
  readonly timeoutMs?: number;
  readonly backoff?: RefreshBackoff;
  /** The scheduler's clock and timers. */
  readonly timers?: Timers;
  readonly watcher?: DirWatcherFactory;
  readonly log?: Logger;
  /** The HTTP leg for one credential's token refresh (its outbound proxy applied). */
  readonly http?: (record: AuthRecord) => RefreshHttp;
}

/** The management view of the auth files. */
export interface AuthFilesState {
  readonly credentials: readonly CredentialRefreshState[];
  readonly issues: readonly AuthFileIssue[];
}

function refreshTypes(types: ReadonlyMap<string, AuthTypeRegistration>): Map<string, RefreshType> {
  const out = new Map<string, RefreshType>();
  for (const [type, reg] of types) if (reg.refresh) out.set(type.toLowerCase(), reg.refresh);
  return out;
}

export class AuthFiles {
  readonly directory: AuthDirectory;
  readonly scheduler: RefreshScheduler;
  readonly #listeners = new Set<AuthDirectoryListener>();
  readonly #log: Logger | undefined;

  private constructor(directory: AuthDirectory, scheduler: RefreshScheduler, log: Logger | undefined) {
    this.directory = directory;
    this.scheduler = scheduler;
    this.#log = log;
  }

  /** Loads the directory, then (unless `watch: false`) watches it and starts the refresh loop. */
  static async open(opts: AuthFilesOptions): Promise<AuthFiles> {
    const directory = await AuthDirectory.open({
      dir: opts.dir,
      knownTypes: opts.types.keys(),
      ...(opts.debounceMs !== undefined && { debounceMs: opts.debounceMs }),
      ...(opts.removeGraceMs !== undefined && { removeGraceMs: opts.removeGraceMs }),
      ...(opts.watcher && { watcher: opts.watcher }),
      ...(opts.log && { log: opts.log }),
    });
    const scheduler = new RefreshScheduler({
      types: refreshTypes(opts.types),
      persist: (record, next) => directory.write(record.id, next, { onFailure: "keep" }),
      ...(opts.workers !== undefined && { workers: opts.workers }),
      ...(opts.tickMs !== undefined && { tickMs: opts.tickMs }),
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
      ...(opts.backoff && { backoff: opts.backoff }),
      ...(opts.timers && { timers: opts.timers }),
      ...(opts.log && { log: opts.log }),
      ...(opts.http && { http: opts.http }),
    });
    const files = new AuthFiles(directory, scheduler, opts.log);
    scheduler.sync(directory.records);
    directory.onChange((records) => {
      scheduler.sync(records);
      for (const l of [...files.#listeners]) {
        try {
          l(records);
        } catch (err) {
          files.#log?.error(`auth files subscriber failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
    if (opts.watch !== false) {
      directory.watch();
      scheduler.start();
    }
    return files;
  }

  /** Usable records by id (known type, valid file). */
  get records(): ReadonlyMap<string, AuthRecord> {
    return this.directory.records;
  }

  /** Called with every usable record after each change, once the scheduler knows about it. Returns unsubscribe. */
  onChange(listener: AuthDirectoryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A reload: new provider types (and refreshes) and pool size; credential state is kept. */
  configure(opts: { types?: ReadonlyMap<string, AuthTypeRegistration>; workers?: number }): void {
    if (opts.types) {
      this.scheduler.setTypes(refreshTypes(opts.types));
      this.directory.setKnownTypes(opts.types.keys());
    }
    if (opts.workers !== undefined) this.scheduler.setWorkers(opts.workers);
  }

  /**
   * For a request that got an OAuth 401 with credential `id`: one refresh (shared with any running one), then the
   * new record is fanned out at once so the caller's single retry uses it. `basis` is the record, or its hash, the
   * failing request used.
   */
  async refreshNow(id: string, basis?: AuthRecord | string): Promise<RefreshResult> {
    const result = await this.scheduler.refreshNow(id, basis === undefined ? {} : { basis });
    if (result.ok && result.refreshed) this.directory.flush();
    return result;
  }

  /** Refresh state of every credential and the files that serve none. */
  state(): AuthFilesState {
    return { credentials: this.scheduler.snapshot(), issues: this.directory.issues() };
  }

  /** Resolves when no file operation or refresh is pending (tests, shutdown). */
  async idle(): Promise<void> {
    await this.scheduler.idle();
    await this.directory.idle();
  }

  close(): void {
    this.scheduler.close();
    this.directory.close();
    this.#listeners.clear();
  }
}
