/**
 * The auth directory: every top-level `*.json` file is one credential record (behaviour.md §5.1, §6).
 *
 * Loading reads each file once and remembers its SHA-256, so a rewrite with identical bytes is a no-op. Watching uses
 * `node:fs` `watch` on the directory (Deno, Bun and Node all map it to their native watcher and report the file name):
 * a "change" or a "rename" to an existing file upserts it; a "rename" to a missing file waits a short grace (50 ms)
 * and then upserts it if it is back (an editor's or our own atomic replace) or removes it. Subscribers get the full
 * map of usable records, debounced (CPA waits 1 s before fanning a change out to the server).
 *
 * Files whose type no enabled provider claims are listed once (a log line and {@link AuthDirectory.issues}) and
 * skipped; broken files (invalid JSON, no `type`, bad `weight`) are reported the same way and never fatal. A file that
 * turns into invalid JSON keeps its previous record (a non-atomic writer caught mid-write), as CPA does.
 *
 * Our own writes ({@link AuthDirectory.write}) are atomic (temp file + rename, mode 0600) and record the new hash
 * before the file appears, so the watcher event they cause is recognised and ignored.
 *
 * All file work runs through one queue, so events, rescans and writes never interleave.
 */
import { type FSWatcher, watch as fsWatch } from "node:fs";
import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { basename, join, resolve } from "node:path";
import { writeFileAtomic } from "../config/persist.ts";
import type { JsonObject } from "../formats/wire-format.ts";
import type { Logger } from "../log.ts";
import { type AuthParseResult, type AuthRecord, parseAuthRecord, sha256Hex } from "./auth-record.ts";
import { unrefTimer } from "./timers.ts";

export interface AuthDirectoryOptions {
  /** The auth dir (`auth-dir`); a leading `~` is the home directory. Need not exist: it is created on first write. */
  readonly dir: string;
  /**
   * Types that a provider claims. Records of other types are listed once and skipped. Omitted: every type is kept
   * (useful to tools that only read the directory).
   */
  readonly knownTypes?: Iterable<string>;
  /** Delay between a change and the fan-out to subscribers; changes inside the window are batched. CPA: 1000. */
  readonly debounceMs?: number;
  /** How long a removed file may take to come back before its credential is dropped. CPA: 50. */
  readonly removeGraceMs?: number;
  /** While the directory is missing (or was replaced), how often to look for it again. Default 2000. */
  readonly pollMs?: number;
  /** Replaces the `node:fs` watcher (tests feed events by hand). */
  readonly watcher?: DirWatcherFactory;
  readonly log?: Logger;
}

/** A directory watcher: calls `onEvent` with `"rename"` or `"change"` and the file name (null when unknown). */
export type DirWatcherFactory = (
  dir: string,
  onEvent: (event: string, filename: string | null) => void,
  onError: (err: unknown) => void,
) => { close(): void };

/** `node:fs` `watch` on the directory, not keeping the process alive. Works on Deno, Bun and Node. */
export const nodeDirWatcher: DirWatcherFactory = (dir, onEvent, onError) => {
  const w: FSWatcher = fsWatch(
    dir,
    { persistent: false },
    (event, filename) => onEvent(event, filename == null ? null : String(filename)),
  );
  w.on("error", onError);
  return w;
};

/** A file that is in the directory but serves no credential. */
export interface AuthFileIssue {
  readonly id: string;
  /** `error`: broken file; `skipped`: a removed provider; `unknown-type`: no enabled provider claims the type. */
  readonly kind: "error" | "skipped" | "unknown-type";
  readonly type?: string;
  readonly reason: string;
}

export type AuthDirectoryListener = (records: ReadonlyMap<string, AuthRecord>) => void;

export interface WriteOptions {
  /**
   * When the disk write fails: `revert` (default) restores the previous in-memory record and throws; `keep` keeps the
   * new record in memory (refreshed tokens stay usable until a restart; the old refresh token may already be
   * revoked) and throws.
   */
  readonly onFailure?: "revert" | "keep";
}

export class AuthWriteError extends Error {
  override readonly name = "AuthWriteError";
}

interface FileEntry {
  /** SHA-256 of the content last read or written. */
  readonly hash: string;
  /** The usable record for this file (kept from an earlier version when the current bytes are invalid JSON). */
  readonly record: AuthRecord | null;
  /** Why the current content serves no credential (before the known-types check). */
  readonly issue: AuthFileIssue | null;
}

const noop = () => {};
const SILENT: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => SILENT,
  debugEnabled: false,
};

const IS_WINDOWS = platform() === "win32";

/** Expands a leading `~`, as CPA does for `auth-dir`. */
export function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/") || p.startsWith("~\\")) return join(homedir(), p.slice(2));
  return p;
}

function isJsonName(name: string): boolean {
  return name.toLowerCase().endsWith(".json") && !name.includes("/") && !name.includes("\\");
}

function idOf(name: string): string {
  return IS_WINDOWS ? name.toLowerCase() : name;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class AuthDirectory {
  /** Absolute path of the directory. */
  readonly dir: string;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #removeGraceMs: number;
  readonly #pollMs: number;
  readonly #watchFactory: DirWatcherFactory;
  #known: ReadonlySet<string> | null;

  /** Every `*.json` file seen, by id. */
  readonly #files = new Map<string, FileEntry>();
  /** File names by id (the id is lower-cased on Windows). */
  readonly #names = new Map<string, string>();
  /** The usable records handed to subscribers; replaced, never mutated, on change. */
  #view: ReadonlyMap<string, AuthRecord> = new Map();
  readonly #listeners = new Set<AuthDirectoryListener>();
  /** `id\0type` of unknown-type files already reported. */
  readonly #reported = new Set<string>();

  #queue: Promise<unknown> = Promise.resolve();
  #notifyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending remove-grace checks by id; `fired` resolves once the check is queued. */
  readonly #removeTimers = new Map<
    string,
    { timer: ReturnType<typeof setTimeout>; fired: Promise<void>; fire: () => void }
  >();
  #watcher: { close(): void } | null = null;
  #watchedIno: number | bigint | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** The running attempt to start the watcher, awaited by `idle`. */
  #attaching: Promise<void> | null = null;
  #watching = false;
  #closed = false;

  private constructor(opts: AuthDirectoryOptions) {
    this.dir = resolve(expandHome(opts.dir));
    this.#log = opts.log ?? SILENT;
    this.#debounceMs = Math.max(0, opts.debounceMs ?? 1000);
    this.#removeGraceMs = Math.max(0, opts.removeGraceMs ?? 50);
    this.#pollMs = Math.max(10, opts.pollMs ?? 2000);
    this.#watchFactory = opts.watcher ?? nodeDirWatcher;
    this.#known = opts.knownTypes ? new Set([...opts.knownTypes].map((t) => t.toLowerCase())) : null;
  }

  /** Reads the directory (a missing one is empty). Call {@link watch} to follow changes. */
  static async open(opts: AuthDirectoryOptions): Promise<AuthDirectory> {
    const d = new AuthDirectory(opts);
    await d.rescan();
    // The initial load is not a change: subscribers read `records` when they attach.
    clearTimeout(d.#notifyTimer);
    d.#notifyTimer = undefined;
    return d;
  }

  /** The usable records (known type, valid file), by id. The same object until the next change. */
  get records(): ReadonlyMap<string, AuthRecord> {
    return this.#view;
  }

  /** Files that serve no credential, and why (for logs and the management API). */
  issues(): AuthFileIssue[] {
    const out: AuthFileIssue[] = [];
    for (const [id, f] of this.#files) {
      if (f.issue) out.push(f.issue);
      else if (f.record && !this.#isKnown(f.record.type)) {
        out.push({ id, kind: "unknown-type", type: f.record.type, reason: this.#unknownReason(f.record.type) });
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Removed files waiting out their grace before their record is dropped. */
  get pendingRemovals(): number {
    return this.#removeTimers.size;
  }

  /** Calls `listener` with the full map after each (debounced) change. Returns an unsubscribe function. */
  onChange(listener: AuthDirectoryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sets the types providers claim (after a config reload enabled or disabled a provider). Records that become
   * usable or unusable are fanned out like any other change.
   */
  setKnownTypes(types: Iterable<string> | null): void {
    this.#known = types ? new Set([...types].map((t) => t.toLowerCase())) : null;
    this.#rebuildView();
  }

  /** Starts watching the directory (or waiting for it to appear). Idempotent. */
  watch(): void {
    if (this.#closed || this.#watching) return;
    this.#watching = true;
    this.#startAttach();
  }

  /** Reconciles memory with the disk: every file is re-read (hash-checked), vanished ones are dropped. */
  rescan(): Promise<void> {
    return this.#enqueue(() => this.#rescan());
  }

  /** Resolves once every queued file operation, remove-grace checks included, is done (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.#queue;
      const attaching = this.#attaching;
      const removals = [...this.#removeTimers.values()].map((r) => r.fired);
      await Promise.all([q, attaching, ...removals]);
      if (q === this.#queue && this.#removeTimers.size === 0 && this.#attaching === null) return;
    }
  }

  /**
   * Writes `object` as `<id>` atomically with mode 0600 (creating the directory, mode 0700, when missing) and
   * updates the in-memory record at once; subscribers hear of it after the debounce. The watcher event the write
   * causes is a no-op. Content identical to the current file is not written again. Throws
   * {@link AuthWriteError} for a bad id or an object that is not a valid auth record; returns the record, or null
   * when the type is one of the removed providers.
   */
  write(id: string, object: JsonObject, opts: WriteOptions = {}): Promise<AuthRecord | null> {
    const name = basename(id);
    if (name !== id || !isJsonName(name) || name.startsWith(".")) {
      return Promise.reject(new AuthWriteError(`invalid auth file name ${JSON.stringify(id)}: expected <name>.json`));
    }
    const text = JSON.stringify(object);
    const hash = sha256Hex(text);
    const key = idOf(name);
    const path = join(this.dir, name);
    const result = parseAuthRecord({ id: key, path, text, hash });
    if (result.kind === "error") {
      return Promise.reject(new AuthWriteError(`refusing to write ${name}: ${result.reason}`));
    }
    return this.#enqueue(async () => {
      const previous = this.#files.get(key);
      if (previous?.hash === hash && (await this.#exists(path))) return previous.record;
      const next = this.#entryFor(key, result, hash, previous);
      // Record the hash before the file appears under its name: the watcher event it causes must find it known.
      this.#setEntry(key, name, next);
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(path, text, 0o600);
      } catch (err) {
        if (opts.onFailure !== "keep") {
          if (previous) this.#setEntry(key, this.#names.get(key) ?? name, previous);
          else this.#dropEntry(key);
        }
        throw new AuthWriteError(`could not write auth file ${name}: ${message(err)}`, { cause: err });
      }
      if (this.#watching && !this.#watcher) this.#startAttach();
      return next.record;
    });
  }

  /** Deletes `<id>` from disk and memory. Returns false when there was no such file. */
  delete(id: string): Promise<boolean> {
    const name = basename(id);
    if (name !== id || !isJsonName(name)) {
      return Promise.reject(new AuthWriteError(`invalid auth file name ${JSON.stringify(id)}`));
    }
    return this.#enqueue(async () => {
      const key = idOf(name);
      let removed = false;
      try {
        await unlink(join(this.dir, this.#names.get(key) ?? name));
        removed = true;
      } catch (err) {
        if (errorCode(err) !== "ENOENT") throw err;
      }
      if (this.#files.has(key)) {
        this.#dropEntry(key);
        removed = true;
      }
      return removed;
    });
  }

  /** Fans a pending change out now instead of after the debounce. */
  flush(): void {
    if (this.#notifyTimer === undefined) return;
    clearTimeout(this.#notifyTimer);
    this.#notifyTimer = undefined;
    this.#notify();
  }

  /** Stops watching and cancels pending work; pending fan-outs are dropped. */
  close(): void {
    this.#closed = true;
    this.#watching = false;
    this.#detach();
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#notifyTimer);
    this.#notifyTimer = undefined;
    for (const r of this.#removeTimers.values()) {
      clearTimeout(r.timer);
      r.fire();
    }
    this.#removeTimers.clear();
    this.#listeners.clear();
  }

  // -------------------------------------------------------------------------------------------------------------
  // File operations (always inside the queue)

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {}); // the caller sees the rejection; the queue goes on
    return run;
  }

  /** A queued job nobody awaits (watcher events, rescans): its failure is logged, never unhandled. */
  #background(job: () => Promise<void>): void {
    this.#enqueue(job).catch((err) => this.#log.error(`auth dir ${this.dir}: ${message(err)}`));
  }

  async #exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  async #rescan(): Promise<void> {
    let names: string[];
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      names = [];
      for (const e of entries) {
        if (!isJsonName(e.name)) continue;
        if (e.isDirectory()) continue;
        if (e.isSymbolicLink()) {
          // A link to a file counts (CPA skips only directories).
          const s = await stat(join(this.dir, e.name)).catch(() => null);
          if (!s || s.isDirectory()) continue;
        } else if (!e.isFile()) continue;
        names.push(e.name);
      }
    } catch (err) {
      if (errorCode(err) !== "ENOENT" && errorCode(err) !== "ENOTDIR") {
        this.#log.error(`cannot read auth dir ${this.dir}: ${message(err)}`);
        return; // keep what we have rather than dropping every credential on a transient error
      }
      names = [];
    }
    const seen = new Set<string>();
    for (const name of names) {
      seen.add(idOf(name));
      await this.#upsert(name);
    }
    // A file missing from the listing may be mid-replace: it gets the same grace as a watched remove.
    for (const id of [...this.#files.keys()]) if (!seen.has(id)) this.#scheduleRemoveCheck(this.#names.get(id) ?? id);
  }

  /** Reads `name` and applies it if its bytes changed. */
  async #upsert(name: string): Promise<void> {
    const key = idOf(name);
    const path = join(this.dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const code = errorCode(err);
      // Gone again (a "rename" follows) or a directory named *.json: nothing to read.
      if (code !== "ENOENT" && code !== "EISDIR") this.#log.warn(`cannot read auth file ${name}: ${message(err)}`);
      return;
    }
    if (bytes.length === 0) return; // being written; the next event brings the content
    const hash = sha256Hex(bytes);
    const previous = this.#files.get(key);
    if (previous?.hash === hash) return;
    if (previous?.record?.hash === hash) {
      // Back to the content of the record we kept through a broken (half-written) version: nothing changed.
      this.#setEntry(key, name, { hash, record: previous.record, issue: null });
      return;
    }
    const result = parseAuthRecord({ id: key, path, text: new TextDecoder().decode(bytes), hash });
    const next = this.#entryFor(key, result, hash, previous);
    if (next.issue) {
      const kept = next.record ? "; keeping its previous content" : "";
      if (next.issue.kind === "error") this.#log.warn(`auth file ${name}: ${next.issue.reason}${kept}`);
      else this.#log.info(`auth file ${name}: ${next.issue.reason}`);
    }
    this.#setEntry(key, name, next);
  }

  #entryFor(id: string, result: AuthParseResult, hash: string, previous: FileEntry | undefined): FileEntry {
    switch (result.kind) {
      case "record":
        return { hash, record: result.record, issue: null };
      case "skipped":
        return { hash, record: null, issue: { id, kind: "skipped", type: result.type, reason: result.reason } };
      case "error": {
        // Only unparseable bytes keep the old record: a file that parses but is wrong is wrong.
        const keep = result.reason.startsWith("invalid JSON") ? previous?.record ?? null : null;
        return { hash, record: keep, issue: { id, kind: "error", reason: result.reason } };
      }
    }
  }

  #setEntry(id: string, name: string, entry: FileEntry): void {
    this.#files.set(id, entry);
    this.#names.set(id, name);
    this.#rebuildView();
  }

  #dropEntry(id: string): void {
    if (!this.#files.delete(id)) return;
    this.#names.delete(id);
    for (const key of [...this.#reported]) if (key.startsWith(`${id}\0`)) this.#reported.delete(key);
    this.#log.info(`auth file ${id} removed`);
    this.#rebuildView();
  }

  #isKnown(type: string): boolean {
    return this.#known === null || this.#known.has(type);
  }

  #unknownReason(type: string): string {
    return `no enabled provider handles type "${type}"; the file is skipped`;
  }

  /** Recomputes the usable map; schedules a fan-out when it differs from the current one. */
  #rebuildView(): void {
    const next = new Map<string, AuthRecord>();
    for (const [id, f] of this.#files) {
      if (!f.record) continue;
      if (!this.#isKnown(f.record.type)) {
        const key = `${id}\0${f.record.type}`;
        if (!this.#reported.has(key)) {
          this.#reported.add(key);
          this.#log.warn(`auth file ${id}: ${this.#unknownReason(f.record.type)}`);
        }
        continue;
      }
      next.set(id, f.record);
    }
    const prev = this.#view;
    let changed = prev.size !== next.size;
    if (!changed) { for (const [id, r] of next) if (prev.get(id) !== r) changed = true; }
    if (!changed) return;
    this.#view = next;
    this.#scheduleNotify();
  }

  #scheduleNotify(): void {
    if (this.#closed || this.#notifyTimer !== undefined) return;
    // A batch window, not a sliding one: a stream of changes cannot postpone the fan-out forever.
    this.#notifyTimer = setTimeout(() => {
      this.#notifyTimer = undefined;
      this.#notify();
    }, this.#debounceMs);
  }

  #notify(): void {
    const view = this.#view;
    for (const l of [...this.#listeners]) {
      try {
        l(view);
      } catch (err) {
        this.#log.error(`auth dir subscriber failed: ${message(err)}`);
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Watching

  #startAttach(): void {
    if (this.#attaching) return;
    const p = this.#attach().finally(() => {
      if (this.#attaching === p) this.#attaching = null;
    });
    this.#attaching = p;
  }

  async #attach(): Promise<void> {
    if (!this.#watching || this.#watcher) return;
    let ino: number | bigint;
    try {
      const s = await stat(this.dir);
      if (!s.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
      ino = s.ino;
    } catch {
      this.#schedulePoll();
      return;
    }
    if (!this.#watching || this.#watcher) return;
    try {
      this.#watcher = this.#watchFactory(
        this.dir,
        (event, filename) => this.#onEvent(event, filename),
        (err) => {
          this.#log.warn(`auth dir watcher failed (${message(err)}); watching again`);
          this.#lost();
        },
      );
      this.#watchedIno = ino;
    } catch (err) {
      this.#log.warn(`cannot watch auth dir ${this.dir}: ${message(err)}`);
      this.#schedulePoll();
      return;
    }
    // Files may have changed while nobody watched.
    this.#background(() => this.#rescan());
  }

  #detach(): void {
    try {
      this.#watcher?.close();
    } catch { /* already closed */ }
    this.#watcher = null;
    this.#watchedIno = null;
  }

  /** The directory went away or was replaced: reconcile now and look for it again. */
  #lost(): void {
    this.#detach();
    this.#background(() => this.#rescan());
    if (this.#watching) this.#schedulePoll();
  }

  #schedulePoll(): void {
    if (!this.#watching || this.#pollTimer !== undefined) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#startAttach();
    }, this.#pollMs);
    unrefTimer(this.#pollTimer);
  }

  #onEvent(event: string, name: string | null): void {
    if (this.#closed) return;
    if (name === null) {
      // Some platforms omit the name: look at everything (hash-checked, so cheap).
      this.#background(() => this.#rescan());
      return;
    }
    if (!isJsonName(name)) {
      if (name === basename(this.dir)) this.#background(() => this.#checkDir());
      return;
    }
    if (event === "change") {
      this.#background(() => this.#upsert(name));
      return;
    }
    // "rename": created, replaced or removed. A file that exists now is an upsert; otherwise wait for the grace.
    this.#background(async () => {
      if (await this.#exists(join(this.dir, name))) return this.#upsert(name);
      this.#scheduleRemoveCheck(name);
    });
  }

  /**
   * CPA waits 50 ms after a remove and then upserts or removes; it also ignores a repeat remove of the same path
   * within 1 s. Here repeats are coalesced while a check is pending instead, and a remove of a file we never knew is
   * ignored: the check itself reconciles with the disk, so a delete that follows a quick re-create is never lost.
   */
  #scheduleRemoveCheck(name: string): void {
    const key = idOf(name);
    if (this.#removeTimers.has(key) || !this.#files.has(key)) return;
    let fire!: () => void;
    const fired = new Promise<void>((r) => (fire = r));
    const timer = setTimeout(() => {
      this.#removeTimers.delete(key);
      this.#background(async () => {
        if (await this.#exists(join(this.dir, name))) await this.#upsert(name);
        else this.#dropEntry(key);
      });
      fire();
    }, this.#removeGraceMs);
    this.#removeTimers.set(key, { timer, fired, fire });
  }

  async #checkDir(): Promise<void> {
    let ino: number | bigint | null = null;
    try {
      const s = await stat(this.dir);
      if (s.isDirectory()) ino = s.ino;
    } catch { /* gone */ }
    if (ino === null || ino !== this.#watchedIno) this.#lost();
  }
}
