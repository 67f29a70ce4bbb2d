/**
 * The running proxy minus the HTTP edge: loads the config, builds and swaps snapshots (reload, watched edits,
 * management writes), and owns the state that outlives a snapshot (routing cursors, the upstream fetch).
 */
import { readFile } from "node:fs/promises";
import type { Document } from "yaml";
import { loadConfigFile, parseConfigText } from "./config/load.ts";
import { editConfigText, WriteQueue, writeFileAtomic } from "./config/persist.ts";
import { type BuildResult, buildSnapshot, type Snapshot, withAuthRecords } from "./config/snapshot.ts";
import { AuthFiles, type AuthTypeRegistration } from "./credentials/auth-files.ts";
import type { CredentialRefreshState } from "./credentials/refresh-scheduler.ts";
import { channelRules, credentialsFromRecords } from "./credentials/file-credentials.ts";
import type { RouteTarget } from "./plugin/types.ts";
import { resolve } from "node:path";
import { SnapshotStore } from "./config/store.ts";
import { type FileWatcher, watchFile } from "./config/watch.ts";
import { runtimeUpstreamFetch, type UpstreamFetch } from "./http/upstream-fetch.ts";
import { createLogger, type Logger, LogOutput } from "./log.ts";
import type { AnyPluginDefinition } from "./plugin/load.ts";
import { RoutingState } from "./routing/selector.ts";
import { CooldownTracker } from "./routing/cooldown.ts";
import type { LoadedConfig } from "./config/load.ts";

export interface RuntimeOptions {
  /** Path of config.yaml. */
  readonly configPath: string;
  /** Built-in plugins, by name. */
  readonly builtins: readonly AnyPluginDefinition[];
  /** Where log lines go; defaults to stderr at info level. */
  readonly logOutput?: LogOutput;
  /** Reload when the file changes (default true). */
  readonly watch?: boolean;
  /** Replaces the runtime's upstream leg (tests of the leg itself; normal use keeps the default). */
  readonly fetchUpstream?: UpstreamFetch;
  /** Debounce of auth-dir change fan-outs (CLIProxyAPI: 1 s). */
  readonly authDebounceMs?: number;
}

export type ReloadResult = "applied" | "unchanged";

/** One credential as the management view sees it (`Runtime.credentialState`). */
export interface CredentialState {
  readonly id: string;
  readonly provider: string;
  /** Safe to show: never the secret. */
  readonly label: string;
  readonly priority: number;
  readonly weight: number;
  readonly successes: number;
  readonly failures: number;
  readonly lastError: { readonly status: number; readonly message: string; readonly at: number } | null;
  /** Model ("*" = all) → cooldown reset time (ms epoch). */
  readonly cooldowns: Readonly<Record<string, number>>;
  /** Token refresh state for auth-file credentials; null for API keys. */
  readonly refresh: CredentialRefreshState | null;
}

export class Runtime {
  readonly store: SnapshotStore;
  readonly routing = new RoutingState();
  /** Credential health survives reloads: a key benched for 30 min stays benched after an unrelated edit. */
  readonly cooldowns = new CooldownTracker();
  readonly fetchUpstream: UpstreamFetch;
  readonly log: Logger;
  readonly logOutput: LogOutput;
  readonly #builtins: ReadonlyMap<string, AnyPluginDefinition>;
  readonly #queue = new WriteQueue();
  #watcher: FileWatcher | null = null;
  /** The auth directory and its refresh scheduler; null until opened (and when it cannot be). */
  #authFiles: AuthFiles | null = null;
  #authDir = "";
  #authDebounceMs: number | undefined;
  #version: number;
  #reportedUnsupported: string;
  #closed = false;

  private constructor(
    store: SnapshotStore,
    builtins: ReadonlyMap<string, AnyPluginDefinition>,
    fetchUpstream: UpstreamFetch,
    logOutput: LogOutput,
    log: Logger,
  ) {
    this.store = store;
    this.#builtins = builtins;
    this.fetchUpstream = fetchUpstream;
    this.logOutput = logOutput;
    this.log = log;
    this.#version = store.current.version;
    this.#reportedUnsupported = "";
    this.#reportUnsupported(store.current);
  }

  /** Loads the config and builds the first snapshot. Throws ConfigError / PluginError with a precise message. */
  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const logOutput = opts.logOutput ?? new LogOutput();
    const log = createLogger(logOutput);
    const builtins = new Map(opts.builtins.map((d) => [d.name, d]));
    const loaded = await loadConfigFile(opts.configPath);
    logOutput.level = loaded.config.debug ? "debug" : "info";
    const { snapshot } = await buildSnapshot(loaded, { builtins, log, version: 1, previous: null, logOutput });
    const fetchUpstream = opts.fetchUpstream ?? (await runtimeUpstreamFetch());
    const runtime = new Runtime(new SnapshotStore(snapshot), builtins, fetchUpstream, logOutput, log);
    runtime.#authDebounceMs = opts.authDebounceMs;
    try {
      await runtime.#openAuthFiles(opts.watch !== false);
    } catch (err) {
      await runtime.close(0);
      throw err;
    }
    if (opts.watch !== false) runtime.#watch();
    return runtime;
  }

  /**
   * Every credential of the current snapshot with its health: request counters, last error, active cooldowns (reset
   * times, ms epoch) and, for auth files, the refresh state. What the management API shows.
   */
  credentialState(): CredentialState[] {
    const s = this.store.current;
    const health = new Map(this.cooldowns.health().map((h) => [h.credentialId, h]));
    const refresh = new Map((this.#authFiles?.state().credentials ?? []).map((r) => [r.id, r]));
    const seen = new Set<string>();
    const out: CredentialState[] = [];
    for (const model of s.models.models) {
      for (const c of s.models.resolve(model.id) ?? []) {
        const cred = c.credential;
        if (seen.has(cred.id)) continue;
        seen.add(cred.id);
        const h = health.get(cred.id);
        out.push({
          id: cred.id,
          provider: cred.provider,
          label: cred.label,
          priority: cred.priority,
          weight: cred.weight,
          successes: h?.successes ?? 0,
          failures: h?.failures ?? 0,
          lastError: h?.lastError ?? null,
          cooldowns: h?.cooldowns ?? {},
          refresh: refresh.get(cred.id) ?? null,
        });
      }
    }
    return out;
  }

  /** PipelineEnv: an auth-file credential got a 401 — refresh it once (shared with any refresh in flight). */
  async refreshCredential(target: RouteTarget): Promise<RouteTarget | null> {
    const files = this.#authFiles;
    const record = files?.records.get(target.credential.id);
    if (!files || !record) return null;
    const s = this.store.current;
    if (!s.credentialTypes.get(record.type)?.handler.refresh) return null;
    const result = await files.refreshNow(record.id, record);
    if (!result.ok) return null;
    const rebuilt = credentialsFromRecords(new Map([[record.id, result.record]]), s.credentialTypes, this.log, channelRules(s.config));
    const credential = rebuilt[0]?.credentials[0];
    return credential ? { ...target, credential } : null;
  }

  /** The auth directory, when open (management reads its state; tests wait on it). */
  get authFiles(): AuthFiles | null {
    return this.#authFiles;
  }

  #authTypes(s: Snapshot): Map<string, AuthTypeRegistration> {
    const types = new Map<string, AuthTypeRegistration>();
    for (const [type, t] of s.credentialTypes) types.set(type, t.handler.refresh ? { refresh: t.handler.refresh } : {});
    return types;
  }

  /** Opens `auth-dir` and serves its files; every change rebuilds only the routing table. */
  async #openAuthFiles(watch: boolean, reopening = false): Promise<void> {
    if (this.#closed) return;
    const s = this.store.current;
    const dir = resolve(s.loaded.dir, s.config["auth-dir"]);
    this.#authDir = dir;
    const files = await AuthFiles.open({
      dir,
      types: this.#authTypes(s),
      workers: s.config["auth-auto-refresh-workers"],
      watch,
      log: this.log.child("auth"),
      // A refresh leaves the way the credential's requests do: the file's proxy_url, else the global proxy-url, else
      // the environment's.
      http: (record) => (req, signal) =>
        this.fetchUpstream(req, signal, record.proxyUrl || this.store.current.settings.proxyUrl || null),
      ...(this.#authDebounceMs !== undefined ? { debounceMs: this.#authDebounceMs } : {}),
    });
    this.#authFiles = files;
    files.onChange((records) => {
      void this.#queue.run(async () => {
        if (this.#closed || this.#authFiles !== files) return;
        this.#version++;
        this.store.swap(withAuthRecords(this.store.current, records, this.#version));
        this.log.info(`Auth files changed: ${records.size} usable, ${this.store.current.models.size} model routes`);
      });
    });
    // On a reopen (auth-dir changed) the routing table must drop the old directory's accounts even when the new
    // directory is empty.
    if (files.records.size > 0 || reopening) {
      this.#version++;
      this.store.swap(withAuthRecords(this.store.current, files.records, this.#version));
    }
  }

  get snapshot(): Snapshot {
    return this.store.current;
  }

  /**
   * Re-reads the config file and swaps in a new snapshot. Identical content does nothing. An invalid file throws and
   * the running snapshot keeps serving.
   */
  reload(): Promise<ReloadResult> {
    return this.#queue.run(async () => {
      if (this.#closed) return "unchanged";
      const path = this.store.current.loaded.path;
      const text = await readFile(path, "utf8");
      const loaded = parseConfigText(text, path);
      if (loaded.hash === this.store.current.loaded.hash) return "unchanged";
      await this.#apply(loaded);
      return "applied";
    });
  }

  /**
   * Clone → modify → validate → persist (comments and key order kept, atomic, 0600) → swap, serialised with every
   * other write and reload. An invalid result throws and changes nothing, on disk or in memory.
   */
  update(mutate: (doc: Document) => void): Promise<Snapshot> {
    return this.#queue.run(async () => {
      if (this.#closed) throw new Error("Switchyard is shutting down: the config was not changed");
      const current = this.store.current.loaded;
      const { text, loaded } = editConfigText(current.text, current.path, mutate);
      // Build first: a config that validates but cannot be served (a plugin fails to load) must not reach the disk.
      const built = await this.#build(loaded);
      try {
        await writeFileAtomic(current.path, text);
      } catch (err) {
        // Not applied: the plugins set up for this build must not outlive it.
        await Promise.all(built.created.map((p) => p.dispose()));
        throw err;
      }
      await this.#commit(built);
      return built.snapshot;
    });
  }

  #build(loaded: LoadedConfig): Promise<BuildResult> {
    return buildSnapshot(loaded, {
      builtins: this.#builtins,
      log: this.log,
      version: this.#version + 1,
      previous: this.store.current,
      authRecords: this.#authFiles?.records,
      logOutput: this.logOutput,
    });
  }

  async #apply(loaded: LoadedConfig): Promise<void> {
    await this.#commit(await this.#build(loaded));
  }

  async #commit(built: BuildResult): Promise<void> {
    const { snapshot, carried, retired } = built;
    for (const { instance, prevOptions } of carried) {
      try {
        await instance.hooks?.onConfigChange?.(instance.resolved.options, prevOptions);
      } catch (err) {
        instance.log.error(`onConfigChange failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.#version = snapshot.version;
    this.logOutput.level = snapshot.config.debug ? "debug" : "info";
    const prev = this.store.swap(snapshot);
    // In-flight requests finish on the snapshot they started with; a retired plugin may still serve requests of `prev`
    // or of an older snapshot (when it was carried over through `onConfigChange`), so wait for all of them.
    const older = [prev, ...this.store.leasedSnapshots()].filter((s) => s !== snapshot);
    void Promise.all(older.map((s) => this.store.whenIdle(s))).then(() => Promise.all(retired.map((p) => p.dispose())));
    this.log.info(`Config applied (snapshot ${snapshot.version}, ${snapshot.models.size} model routes)`);
    this.#reportUnsupported(snapshot);
    try {
      await this.#reconfigureAuthFiles(snapshot);
    } catch (err) {
      // The new config is live; only its auth directory failed to open. Say so rather than claim a rejected reload.
      this.log.error(`auth-dir could not be opened: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#forgetRemovedCredentials();
  }

  /** Cooldown state of credentials no longer in the routing table is dropped, so the tracker cannot grow forever. */
  #forgetRemovedCredentials(): void {
    const live = new Set<string>();
    const s = this.store.current;
    for (const m of s.models.models) for (const c of s.models.resolve(m.id) ?? []) live.add(c.credential.id);
    for (const h of this.cooldowns.health()) if (!live.has(h.credentialId)) this.cooldowns.forget(h.credentialId);
  }

  /** A reload: new types and pool size in place; a different `auth-dir` is reopened. */
  async #reconfigureAuthFiles(s: Snapshot): Promise<void> {
    const files = this.#authFiles;
    const dir = resolve(s.loaded.dir, s.config["auth-dir"]);
    if (files && dir === this.#authDir) {
      files.configure({ types: this.#authTypes(s), workers: s.config["auth-auto-refresh-workers"] });
      return;
    }
    files?.close();
    this.#authFiles = null;
    await this.#openAuthFiles(this.#watcher !== null, true);
  }

  #reportUnsupported(s: Snapshot): void {
    const key = s.unsupportedKeys.join(", ");
    if (key === this.#reportedUnsupported) return;
    this.#reportedUnsupported = key;
    if (key) this.log.warn(`Config keys not supported yet (kept, ignored): ${key}`);
  }

  #watch(): void {
    const path = this.store.current.loaded.path;
    this.#watcher = watchFile(path, () => {
      if (this.#closed) return;
      this.reload().then(
        (r) => {
          if (r === "applied") this.log.info(`Reloaded ${path}`);
        },
        (err) => {
          const message = err instanceof Error ? err.message : String(err);
          this.log.error(`Config change rejected, still serving the previous config: ${message}`);
        },
      );
    });
  }

  /** Stops watching and disposes every plugin once in-flight requests are done (or `graceMs` passed). */
  async close(graceMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    // Let a queued reload or auth change finish first (it sees #closed and stops), then close what is open.
    await this.#queue.run(async () => {});
    this.#authFiles?.close();
    this.#authFiles = null;
    const current = this.store.current;
    // Requests may hold older snapshots (auth-file changes swap snapshots that share the same plugins): wait for all.
    const deadline = Date.now() + graceMs;
    while (this.store.leasedSnapshots().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(current.plugins.map((p) => p.dispose()));
  }
}
