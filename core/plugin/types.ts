/**
 * The plugin API: everything a plugin author (built-in or third-party) programs against.
 *
 * A plugin is a plain object made by {@link definePlugin}. At snapshot build the core validates its options with
 * `configSchema`, calls `setup(ctx)` once and compiles the hooks it returns into sorted per-hook lists. Nothing here is
 * resolved per request.
 */
import type { Hono } from "hono";
import type { JsonObject, Operation, Usage, WireFormat } from "../formats/wire-format.ts";
import type { IrRequest, IrResponse, IrStreamEvent } from "../formats/ir.ts";
import type { AuthRecord } from "../credentials/auth-record.ts";
import type { RefreshType } from "../credentials/refresh-scheduler.ts";
import type { Logger, LogSink } from "../log.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { ProxyError } from "../http/proxy-error.ts";
import type { ScopedErrorRules } from "../routing/scoped-errors.ts";

export type Awaitable<T> = T | Promise<T>;

/** The subset of the Standard Schema v1 interface the core needs; any zod ≥ 3.24 schema satisfies it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

export interface PluginDefinition<O = unknown> {
  /** Unique name; appears in every log line and error of the plugin. */
  readonly name: string;
  /** The plugin's own version. */
  readonly version: string;
  /** Semver range of the core plugin API it was built for (checked at load). */
  readonly core: string;
  /** Plugins that must be enabled (and are set up) before this one. */
  readonly dependsOn?: readonly string[];
  /**
   * Top-level config keys (CLIProxyAPI's) this plugin implements. When the plugin is enabled, those keys of the config
   * file are its options (merged under any explicit `options`), and they are not reported as "not supported yet".
   * A built-in is enabled automatically when one of them is set and the config has no `plugins:` list.
   */
  readonly configKeys?: readonly string[];
  /**
   * For built-ins: enabled whenever the config has no `plugins:` list, even when none of its `configKeys` is set (the
   * request logger writes forced error logs; the signature cache protects thinking signatures).
   */
  readonly enabledByDefault?: boolean;
  /** Validates the options; its output is what `setup` receives (frozen). */
  readonly configSchema?: StandardSchemaV1<unknown, O>;
  setup(ctx: SetupContext<O>): Awaitable<PluginHooks<O> | void>;
}

/** Typed per-request state owned by one plugin. */
export interface Slot<T> {
  get(rc: RequestContext): T | undefined;
  set(rc: RequestContext, value: T): void;
}

export interface SetupContext<O> {
  /** Validated, frozen options. */
  readonly options: O;
  /** Tagged with the plugin name. */
  readonly log: Logger;
  /** Aborted when the plugin is disposed (reload without `onConfigChange`, or shutdown). */
  readonly signal: AbortSignal;
  /** Directory of the config file; relative paths in options resolve against it. */
  readonly configDir: string;
  /** Adds a provider adapter and the credentials it serves to this snapshot's routing table. */
  registerProvider<D>(adapter: ProviderAdapter<D>, credentials: readonly Credential<D>[]): void;
  /**
   * This plugin serves auth-dir files whose `type` is `type` (lower-case): each record becomes a credential of
   * `handler.adapter`, and, for OAuth types, the core's scheduler keeps its tokens fresh through `handler.refresh`.
   */
  registerCredentialType<D>(type: string, handler: CredentialTypeHandler<D>): void;
  /** Serves `app` under `prefix` (for example `/v0/management`), before the core's own routes. */
  mount(prefix: string, app: Hono): void;
  /**
   * Adds a sink for the application's log lines (every plugin's and the core's), removed when the plugin is
   * disposed. The request logger writes `main.log` (`logging-to-file`) through it.
   */
  addLogSink(sink: LogSink): () => void;
  /** A per-request slot private to this plugin. */
  slot<T>(key: string): Slot<T>;
}

/** What happened to a request, given to `afterResponse` once the last byte went out (or the client left). */
export interface ResponseSummary {
  /** HTTP status sent to the client. */
  readonly status: number;
  readonly stream: boolean;
  readonly usage: Usage | null;
  /** Upstream attempts made (0 when answered locally). */
  readonly attempts: number;
  /** ms from request start to the first byte sent; null when nothing was sent. */
  readonly firstByteMs: number | null;
  readonly durationMs: number;
  /** Set when the request ended in an error (before or after the first byte). */
  readonly error: ProxyError | null;
  /** The client went away before the end. */
  readonly cancelled: boolean;
}

/** A routing decision: which credential of which provider serves the request, with which upstream model name. */
export interface RouteTarget {
  readonly provider: ProviderAdapter;
  readonly credential: Credential;
  /** Model name sent upstream. */
  readonly upstreamModel: string;
  /** The credential's model entry, when known (its thinking support shapes the reasoning sent upstream). */
  readonly model?: CredentialModel;
}

/** How a provider serves one auth-dir file type (see `SetupContext.registerCredentialType`). */
export interface CredentialTypeHandler<D = unknown> {
  readonly adapter: ProviderAdapter<D>;
  /**
   * Builds the credential for one file, or null when the file is unusable. The credential's `id` must be the record's
   * `id`; the core applies the file's common fields (disabled, prefix, priority, weight, excluded models, proxy,
   * retry and cooling overrides) on top.
   */
  fromRecord(record: AuthRecord): Credential<D> | null;
  /** For OAuth types whose tokens expire: when to refresh, and how. */
  readonly refresh?: RefreshType;
}

/** Maps one IR stream event: the same or another event to keep it, null to drop it. */
export type IrEventMapper = (e: IrStreamEvent) => IrStreamEvent | null | void;

/**
 * Byte-level observers for one request (see `PluginHooks.tap`). Every method is optional and synchronous. The Headers
 * and byte chunks handed to a tap are never reused or mutated by the core afterwards, so a tap may keep references
 * instead of copying.
 */
export interface RequestTap {
  /** An upstream attempt's final request (after every `beforeUpstream`); `attempt` counts from 1. */
  upstreamRequest?(attempt: number, up: UpstreamRequest, target: RouteTarget): void;
  /** The upstream's status and headers for that attempt. */
  upstreamResponse?(attempt: number, status: number, headers: Headers): void;
  /** Upstream body bytes of that attempt, in order (an error body arrives as one chunk). */
  upstreamChunk?(attempt: number, chunk: Uint8Array): void;
  /** An upstream attempt that got no response at all (connection refused, reset, timed out). */
  upstreamError?(attempt: number, message: string): void;
  /** Status and headers of the response sent to the client, once, before its body. */
  clientHead?(status: number, headers: Headers): void;
  /** Body bytes sent to the client, in order (a non-stream body as one chunk). */
  clientChunk?(chunk: Uint8Array): void;
}

export type HookOrder = "pre" | "post";
/** A hook is a function, or an object giving its order. */
export type Hook<F> = F | { readonly handler: F; readonly order?: HookOrder };

export interface PluginHooks<O = unknown> {
  /** Sequential. Returning a Response answers the request without going upstream. */
  onRequest?: Hook<(rc: RequestContext) => Awaitable<Response | void>>;
  /** First: the first non-null target wins; when none answers, the core's model table decides. */
  selectProvider?: Hook<(rc: RequestContext) => Awaitable<RouteTarget | null | void>>;
  /** Reduce: each hook may replace the upstream request; the result feeds the next one. */
  beforeUpstream?: Hook<(up: UpstreamRequest, rc: RequestContext) => Awaitable<UpstreamRequest | void>>;
  /**
   * Reduce, translated attempts only: adjust the IR request before it is rendered for this attempt's upstream (the
   * signature cache restores thinking signatures here). Same-format requests pass through without an IR.
   */
  transformRequest?: Hook<(ir: IrRequest, target: RouteTarget, rc: RequestContext) => Awaitable<IrRequest | void>>;
  /**
   * Translated streams only: called once per request; the returned function sees every IR event coming from the
   * upstream before the client's renderer, and may replace it (return an event) or drop it (return null). Runs per
   * event on the hot path: keep it synchronous and cheap.
   */
  transformEvents?: Hook<(rc: RequestContext) => IrEventMapper | null | void>;
  /** Translated single-JSON answers only: adjust the IR response before it is rendered for the client. */
  transformResponse?: Hook<(ir: IrResponse, rc: RequestContext) => IrResponse | void>;
  /**
   * Called once per proxied request; a plugin that records bodies (the request logger) returns a tap that sees every
   * upstream attempt and every byte sent to the client. Runs on the hot path: taps must only copy references or
   * enqueue work, never block. Returning null costs the request nothing further.
   */
  tap?: Hook<(rc: RequestContext) => RequestTap | null | void>;
  /** Parallel, observe only: after the last byte, or after the client left. */
  afterResponse?: Hook<(rc: RequestContext, summary: ResponseSummary) => Awaitable<void>>;
  /** Parallel, observe only: every error that reaches the client, before or after the first byte. */
  onError?: Hook<(err: ProxyError, rc: RequestContext) => Awaitable<void>>;
  /** When present, a reload with this plugin still enabled calls it instead of dispose + setup. */
  onConfigChange?(next: O, prev: O): Awaitable<void>;
  /** Release resources; called on reload (unless `onConfigChange`) once no request uses the old snapshot. */
  dispose?(): Awaitable<void>;
}

/** One model a credential serves. */
export interface CredentialModel {
  /** The id clients ask for (an alias, or the upstream name). */
  readonly id: string;
  /** The name sent upstream. */
  readonly upstream: string;
  readonly displayName?: string;
  /** `owned_by` in model lists; defaults to the provider id. */
  readonly ownedBy?: string;
  /** CLIProxyAPI `force-mapping`: answers name the model `id` (the alias), not the upstream's name. */
  readonly forceMapping?: boolean;
  /**
   * What reasoning the model accepts: its ranges and levels; `false` when it has none (reasoning requests are dropped);
   * absent when unknown (a user-configured model: requests pass through as asked).
   */
  readonly thinking?: ModelThinking | false;
  readonly contextLength?: number;
  readonly maxOutputTokens?: number;
}

/** A model's declared reasoning support (CLIProxyAPI's `thinking:{min,max,zero-allowed,dynamic-allowed,levels}`). */
export interface ModelThinking {
  readonly min?: number;
  readonly max?: number;
  readonly zeroAllowed?: boolean;
  readonly dynamicAllowed?: boolean;
  readonly levels?: readonly string[];
}

/** One usable key or account of a provider. */
export interface Credential<D = unknown> {
  /** Stable and unique across providers, e.g. `openai-compatible:openrouter#0`. */
  readonly id: string;
  /** The adapter id that serves it. */
  readonly provider: string;
  /** Safe to log: never the secret. */
  readonly label: string;
  /** Higher buckets are tried first. */
  readonly priority: number;
  readonly weight: number;
  /** When set, models are also (or, with `force-model-prefix`, only) exposed as `prefix/model`. */
  readonly prefix?: string;
  readonly models: readonly CredentialModel[];
  /** Wildcard patterns (`p*`, `*s`, `*x*`, exact) of model ids this credential must not serve. */
  readonly excludedModels?: readonly string[];
  /**
   * Per-entry `proxy-url` for this credential's upstream calls: `http(s)://…`, `socks5(h)://…`, or `direct` / `none`
   * to bypass the global `proxy-url`. Absent: the global one applies.
   */
  readonly proxyUrl?: string;
  /** Per-entry `disable-cooling`: failures are counted but never bench this credential. */
  readonly disableCooling?: boolean;
  /** Per-entry `request-retry`: extra retry rounds when this credential leads the pool (overrides the global). */
  readonly requestRetry?: number;
  /**
   * Per-entry `request-scoped-errors` (or the channel's `oauth-request-scoped-errors`), compiled once with
   * `ScopedErrorRules.compile`: what a failed attempt of this credential means before the default classification.
   */
  readonly requestScopedErrors?: ScopedErrorRules;
  /** Adapter-private data (base URL, key, headers…). */
  readonly data: D;
}

/** The HTTP request sent upstream. */
export interface UpstreamRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | Uint8Array | null;
}

/** What an adapter is asked to build. The body is already in `format` with the upstream model set. */
export interface UpstreamCall<D = unknown> {
  readonly credential: Credential<D>;
  readonly upstreamModel: string;
  readonly format: WireFormat;
  readonly operation: Operation;
  readonly stream: boolean;
  readonly body: JsonObject;
  readonly rc: RequestContext;
}

export interface ProviderAdapter<D = unknown> {
  /** Provider id (`openai-compatible`, `claude`, …); credentials name it in `provider`. */
  readonly id: string;
  /** Upstream wire formats it speaks, preferred first. A client in one of them is passed through untranslated. */
  readonly formats: readonly WireFormat[];
  /**
   * The upstream only streams (the Codex backend): a non-stream client request is sent with streaming on and the
   * answer is assembled from the stream.
   */
  readonly streamOnly?: boolean;
  /** The upstream has its own token counter for `count-tokens` requests; otherwise the core estimates locally. */
  readonly countsTokens?: boolean;
  /** Builds the upstream HTTP request (URL, auth headers, final body). Must not mutate `call.body`. */
  buildRequest(call: UpstreamCall<D>): Awaitable<UpstreamRequest>;
}
