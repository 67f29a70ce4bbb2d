/**
 * The snapshot: one frozen object holding everything a request needs — validated config, set-up plugins, sorted hook
 * lists, the model table, compiled client auth and derived settings. A request reads it once at entry.
 */
import { compileClientAuth, type ClientAuth } from "../http/client-auth.ts";
import { proxyConfigIssues } from "../http/proxy/support.ts";
import type { Logger, LogOutput } from "../log.ts";
import { compileHooks, type CompiledHooks } from "../plugin/hooks.ts";
import {
  type Mount,
  PluginInstance,
  type RegisteredCredentialType,
  type RegisteredProvider,
} from "../plugin/instance.ts";
import type { AuthRecord } from "../credentials/auth-record.ts";
import { channelRules, credentialsFromRecords } from "../credentials/file-credentials.ts";
import { type AnyPluginDefinition, type PluginRequest, resolvePlugins } from "../plugin/load.ts";
import { ModelTable } from "../routing/model-table.ts";
import { PayloadRules } from "../routing/payload-rules.ts";
import type { Strategy } from "../routing/selector.ts";
import { ConfigError, type LoadedConfig } from "./load.ts";
import { isCpaNativePlugins, type SwitchyardConfig } from "./schema.ts";

/** Values derived from the config once, in the units the hot path wants. */
export interface SnapshotSettings {
  readonly strategy: Strategy;
  /** `routing.session-affinity`: a session keeps the credential that served it. */
  readonly sessionAffinity: boolean;
  /** `routing.session-affinity-ttl` in ms: how long an idle binding lives. */
  readonly sessionAffinityTtlMs: number;
  readonly keepaliveMs: number;
  readonly nonstreamKeepaliveMs: number;
  readonly maxBodyBytes: number;
  /** Extra retry rounds after the pool is exhausted (`request-retry`). */
  readonly requestRetry: number;
  /** Credentials tried per round; 0 = all (`max-retry-credentials`). */
  readonly maxRetryCredentials: number;
  /** Longest wait for a cooldown between rounds; ≤ 0 never waits (`max-retry-interval`). */
  readonly maxRetryIntervalMs: number;
  readonly disableCooling: boolean;
  /** `transient-error-cooldown-seconds` in ms: 0 = default 60 s, negative = off. */
  readonly transientCooldownMs: number;
  /** Extra rounds for streams that fail before their first byte (`streaming.bootstrap-retries`). */
  readonly bootstrapRetries: number;
  /** `passthrough-headers`: upstream response headers reach the client (filtered). */
  readonly passthroughHeaders: boolean;
  /** Global `proxy-url` ("" = none). */
  readonly proxyUrl: string;
}

export interface Snapshot {
  /** Increases by one per successful build. */
  readonly version: number;
  readonly loaded: LoadedConfig;
  readonly config: SwitchyardConfig;
  readonly log: Logger;
  readonly plugins: readonly PluginInstance[];
  readonly hooks: CompiledHooks;
  readonly models: ModelTable;
  readonly clientAuth: ClientAuth;
  readonly mounts: readonly Mount[];
  readonly settings: SnapshotSettings;
  /** Compiled `payload:` rules; null when there are none. */
  readonly payloadRules: PayloadRules | null;
  /** Auth-dir file types the enabled plugins serve, by type. */
  readonly credentialTypes: ReadonlyMap<string, RegisteredCredentialType>;
  /** Providers registered by plugins during setup (API-key entries); file credentials are added to these. */
  readonly pluginProviders: readonly RegisteredProvider[];
  /** Top-level keys in the file that neither the core nor an enabled plugin implements. */
  readonly unsupportedKeys: readonly string[];
}

/** Top-level keys the core itself implements. Everything else must be claimed by a plugin's `configKeys`. */
const CORE_KEYS: ReadonlySet<string> = new Set([
  "host",
  "port",
  "tls",
  "api-keys",
  "debug",
  "routing",
  "streaming",
  "nonstream-keepalive-interval",
  "max-body-size-mb",
  "force-model-prefix",
  "request-retry",
  "max-retry-credentials",
  "max-retry-interval",
  "disable-cooling",
  "transient-error-cooldown-seconds",
  "passthrough-headers",
  "payload",
  "claude-code",
  "auth-dir",
  "auth-auto-refresh-workers",
  "oauth-model-alias",
  "oauth-excluded-models",
  "oauth-request-scoped-errors",
  "proxy-url",
  "plugins",
]);

export interface BuildOptions {
  readonly builtins: ReadonlyMap<string, AnyPluginDefinition>;
  readonly log: Logger;
  readonly version: number;
  /** The snapshot being replaced; plugins with `onConfigChange` are carried over instead of set up again. */
  readonly previous: Snapshot | null;
  /** Current auth-dir records (empty before the directory is open). */
  readonly authRecords?: ReadonlyMap<string, AuthRecord>;
  /** The runtime's log output, so plugins can add sinks (`SetupContext.addLogSink`). */
  readonly logOutput?: LogOutput;
}

export interface BuildResult {
  readonly snapshot: Snapshot;
  /** Instances carried over from `previous`, with the options they must be told about via `onConfigChange`. */
  readonly carried: readonly { instance: PluginInstance; prevOptions: unknown }[];
  /** Instances of `previous` not carried over: dispose them once `previous` is idle. */
  readonly retired: readonly PluginInstance[];
  /** Instances set up for this build (dispose them if the build is not applied after all). */
  readonly created: readonly PluginInstance[];
}

/**
 * Builds a complete snapshot, or throws without side effects on the running one (plugins set up for a failed build
 * are disposed before the error propagates).
 */
export async function buildSnapshot(loaded: LoadedConfig, opts: BuildOptions): Promise<BuildResult> {
  const config = loaded.config;
  const pluginsValue = config.plugins;
  const requested: PluginRequest[] | null = pluginsValue === undefined || isCpaNativePlugins(pluginsValue)
    ? null
    : pluginsValue.map((p) => ({ use: p.use, options: p.options }));
  const resolved = await resolvePlugins({
    config: config as unknown as Record<string, unknown>,
    presentKeys: loaded.presentKeys,
    requested,
    configDir: loaded.dir,
    builtins: opts.builtins,
  });

  const previousByName = new Map((opts.previous?.plugins ?? []).map((p) => [p.name, p]));
  const instances: PluginInstance[] = [];
  const created: PluginInstance[] = [];
  const carried: { instance: PluginInstance; prevOptions: unknown }[] = [];
  try {
    for (const r of resolved) {
      const prev = previousByName.get(r.definition.name);
      if (prev && prev.resolved.definition === r.definition && prev.hooks?.onConfigChange) {
        // Same plugin, and it can take new options in place: keep its state (caches, queues) across the reload.
        const instance = prev.withOptions(r);
        instances.push(instance);
        carried.push({ instance, prevOptions: prev.resolved.options });
        continue;
      }
      const instance = await PluginInstance.setup(r, { log: opts.log, configDir: loaded.dir, logOutput: opts.logOutput });
      instances.push(instance);
      created.push(instance);
    }
  } catch (err) {
    await Promise.all(created.map((i) => i.dispose()));
    throw err;
  }

  // Everything after setup can still fail (a malformed hook, an unusable proxy-url): the plugins set up for this
  // build must then be disposed, or each rejected reload would leak a set.
  let snapshot: Snapshot;
  try {
    snapshot = assemble();
  } catch (err) {
    await Promise.all(created.map((i) => i.dispose()));
    throw err;
  }

  function assemble(): Snapshot {
    const pluginProviders: RegisteredProvider[] = instances.flatMap((i) => i.providers);
    const credentialTypes = new Map<string, RegisteredCredentialType>();
    for (const t of instances.flatMap((i) => i.credentialTypes)) {
      if (credentialTypes.has(t.type)) {
        opts.log.warn(`auth file type "${t.type}" is served by ${credentialTypes.get(t.type)!.plugin}; ${t.plugin} ignored`);
      } else credentialTypes.set(t.type, t);
    }
    const providers = [
      ...pluginProviders,
      ...credentialsFromRecords(opts.authRecords ?? new Map(), credentialTypes, opts.log, channelRules(config)),
    ];
    // Outbound proxies: an unusable `proxy-url` (global, per entry, per credential) fails the build, not a request.
    const proxyIssues = proxyConfigIssues(config, pluginProviders.flatMap((p) => p.credentials));
    if (proxyIssues.length > 0) throw new ConfigError(loaded.path, proxyIssues);
    const claimed = new Set(CORE_KEYS);
    // Keys of every built-in are known, enabled or not: they are not "not supported".
    for (const def of opts.builtins.values()) for (const k of def.configKeys ?? []) claimed.add(k);
    for (const r of resolved) for (const k of r.definition.configKeys ?? []) claimed.add(k);
    const unsupported = loaded.presentKeys.filter((k) => !claimed.has(k));
    if (isCpaNativePlugins(pluginsValue)) unsupported.push("plugins (CLIProxyAPI native plugin block)");

    return Object.freeze({
      version: opts.version,
      loaded,
      config,
      log: opts.log,
      plugins: Object.freeze(instances),
      hooks: compileHooks(instances),
      models: ModelTable.build(providers, { forceModelPrefix: config["force-model-prefix"] }),
      clientAuth: compileClientAuth(config["api-keys"]),
      mounts: Object.freeze(instances.flatMap((i) => i.mounts)),
      settings: Object.freeze({
        strategy: config.routing.strategy,
        sessionAffinity: config.routing["session-affinity"],
        sessionAffinityTtlMs: config.routing.sessionAffinityTtlMs,
        keepaliveMs: config.streaming["keepalive-seconds"] * 1000,
        nonstreamKeepaliveMs: config["nonstream-keepalive-interval"] * 1000,
        maxBodyBytes: Math.floor(config["max-body-size-mb"] * 1024 * 1024),
        requestRetry: config["request-retry"],
        maxRetryCredentials: config["max-retry-credentials"],
        maxRetryIntervalMs: config["max-retry-interval"] * 1000,
        disableCooling: config["disable-cooling"],
        transientCooldownMs: config["transient-error-cooldown-seconds"] < 0
          ? -1
          : config["transient-error-cooldown-seconds"] * 1000,
        bootstrapRetries: config.streaming["bootstrap-retries"],
        passthroughHeaders: config["passthrough-headers"],
        proxyUrl: config["proxy-url"],
      }),
      payloadRules: PayloadRules.compile(config.payload),
      credentialTypes,
      pluginProviders: Object.freeze(pluginProviders),
      unsupportedKeys: Object.freeze(unsupported),
    });
  }

  const kept = new Set(carried.map((c) => c.instance.name));
  const retired = (opts.previous?.plugins ?? []).filter((p) => !kept.has(p.name));
  return { snapshot, carried, retired, created };
}

/**
 * The same snapshot with its routing table rebuilt for new auth-dir records: plugins, hooks and settings are shared,
 * so an auth-file change never sets a plugin up again.
 */
export function withAuthRecords(s: Snapshot, records: ReadonlyMap<string, AuthRecord>, version: number): Snapshot {
  const providers = [
    ...s.pluginProviders,
    ...credentialsFromRecords(records, s.credentialTypes, s.log, channelRules(s.config)),
  ];
  return Object.freeze({
    ...s,
    version,
    models: ModelTable.build(providers, { forceModelPrefix: s.config["force-model-prefix"] }),
  });
}
