/**
 * Hook compilation and dispatch. Lists are sorted once per snapshot (`pre`, then unordered, then `post`; config order
 * within each) and an empty list is stored as `null`, so a request pays nothing for a hook nobody registered.
 *
 * Kinds: `onRequest` sequential (a Response ends the request), `selectProvider` first (first non-null wins),
 * `beforeUpstream` reduce (each result feeds the next), `afterResponse` and `onError` parallel observers.
 */
import type { RequestContext } from "../http/request-context.ts";
import { ProxyError } from "../http/proxy-error.ts";
import type { Logger } from "../log.ts";
import { PluginError } from "./plugin-error.ts";
import type { IrRequest, IrResponse, IrStreamEvent } from "../formats/ir.ts";
import type {
  Awaitable,
  Hook,
  HookOrder,
  IrEventMapper,
  PluginHooks,
  RequestTap,
  ResponseSummary,
  RouteTarget,
  UpstreamRequest,
} from "./types.ts";

export interface HookEntry<F> {
  readonly plugin: string;
  readonly fn: F;
  readonly log: Logger;
}

type HookFn<K extends HookName> = NonNullable<PluginHooks[K]> extends Hook<infer F> ? F : never;
export type HookName =
  | "onRequest"
  | "selectProvider"
  | "beforeUpstream"
  | "transformRequest"
  | "transformEvents"
  | "transformResponse"
  | "tap"
  | "afterResponse"
  | "onError";
const HOOK_NAMES: readonly HookName[] = [
  "onRequest",
  "selectProvider",
  "beforeUpstream",
  "transformRequest",
  "transformEvents",
  "transformResponse",
  "tap",
  "afterResponse",
  "onError",
];

export type CompiledHooks = { readonly [K in HookName]: readonly HookEntry<HookFn<K>>[] | null };

export interface HookSource {
  readonly name: string;
  readonly hooks: PluginHooks | null;
  readonly log: Logger;
}

const ORDER_RANK: Record<HookOrder | "none", number> = { pre: 0, none: 1, post: 2 };

/** Sorts and freezes each hook list once per snapshot. */
export function compileHooks(plugins: readonly HookSource[]): CompiledHooks {
  const out: Record<string, readonly HookEntry<unknown>[] | null> = {};
  for (const name of HOOK_NAMES) {
    const entries: { rank: number; index: number; entry: HookEntry<unknown> }[] = [];
    plugins.forEach((p, index) => {
      const hook = p.hooks?.[name] as Hook<unknown> | undefined;
      if (hook === undefined) return;
      const isObject = typeof hook === "object" && hook !== null && "handler" in hook;
      const spec = isObject ? (hook as { handler: unknown; order?: HookOrder }) : null;
      const fn = spec ? spec.handler : hook;
      if (typeof fn !== "function") {
        throw new TypeError(`[plugin ${p.name}] ${name}: hook must be a function or { handler, order }`);
      }
      const rank = ORDER_RANK[spec?.order ?? "none"];
      entries.push({ rank, index, entry: Object.freeze({ plugin: p.name, fn: (fn as (...args: unknown[]) => unknown).bind(p.hooks), log: p.log }) });
    });
    entries.sort((a, b) => a.rank - b.rank || a.index - b.index);
    out[name] = entries.length === 0 ? null : Object.freeze(entries.map((e) => e.entry));
  }
  return Object.freeze(out) as unknown as CompiledHooks;
}

/** A hook that threw becomes a ProxyError naming the plugin and hook; a deliberate ProxyError keeps its status. */
function hookFailure(entry: HookEntry<unknown>, hook: HookName, err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  // A PluginError already names its plugin; keep the bare reason so the prefix is not doubled.
  const message = err instanceof PluginError
    ? err.message.replace(/^\[plugin [^\]]*\] (?:[A-Za-z]+: )?/, "")
    : err instanceof Error
    ? err.message
    : String(err);
  return new ProxyError(500, "plugin_error", `[plugin ${entry.plugin}] ${hook}: ${message}`, {
    code: "SWITCHYARD_ERR_PLUGIN_HOOK",
    plugin: entry.plugin,
    hook,
    cause: err,
  });
}

function isThenable<T>(v: Awaitable<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

export async function runOnRequest(list: CompiledHooks["onRequest"], rc: RequestContext): Promise<Response | null> {
  if (list === null) return null;
  for (const entry of list) {
    try {
      let r = entry.fn(rc);
      // Fast path: synchronous hooks are not awaited.
      if (isThenable(r)) r = await r;
      if (r instanceof Response) return r;
    } catch (err) {
      throw hookFailure(entry, "onRequest", err);
    }
  }
  return null;
}

export async function runSelectProvider(
  list: CompiledHooks["selectProvider"],
  rc: RequestContext,
): Promise<RouteTarget | null> {
  if (list === null) return null;
  for (const entry of list) {
    try {
      let r = entry.fn(rc);
      if (isThenable(r)) r = await r;
      if (r != null) return r;
    } catch (err) {
      throw hookFailure(entry, "selectProvider", err);
    }
  }
  return null;
}

export async function runBeforeUpstream(
  list: CompiledHooks["beforeUpstream"],
  up: UpstreamRequest,
  rc: RequestContext,
): Promise<UpstreamRequest> {
  if (list === null) return up;
  let current = up;
  for (const entry of list) {
    try {
      let r = entry.fn(current, rc);
      if (isThenable(r)) r = await r;
      if (r != null) current = r;
    } catch (err) {
      throw hookFailure(entry, "beforeUpstream", err);
    }
  }
  return current;
}

export async function runTransformRequest(
  list: CompiledHooks["transformRequest"],
  ir: IrRequest,
  target: RouteTarget,
  rc: RequestContext,
): Promise<IrRequest> {
  if (list === null) return ir;
  let current = ir;
  for (const entry of list) {
    try {
      let r = entry.fn(current, target, rc);
      if (isThenable(r)) r = await r;
      if (r != null) current = r;
    } catch (err) {
      throw hookFailure(entry, "transformRequest", err);
    }
  }
  return current;
}

export function runTransformResponse(
  list: CompiledHooks["transformResponse"],
  ir: IrResponse,
  rc: RequestContext,
): IrResponse {
  if (list === null) return ir;
  let current = ir;
  for (const entry of list) {
    try {
      const r = entry.fn(current, rc);
      if (r != null) current = r;
    } catch (err) {
      throw hookFailure(entry, "transformResponse", err);
    }
  }
  return current;
}

/**
 * The request's IR event mapper: the plugins' mappers composed in hook order, or null when none (the common case:
 * the stream then calls nothing per event).
 */
export function runTransformEvents(list: CompiledHooks["transformEvents"], rc: RequestContext): IrEventMapper | null {
  if (list === null) return null;
  const mappers: IrEventMapper[] = [];
  for (const entry of list) {
    try {
      const m = entry.fn(rc);
      if (m) mappers.push(m);
    } catch (err) {
      throw hookFailure(entry, "transformEvents", err);
    }
  }
  if (mappers.length === 0) return null;
  if (mappers.length === 1) return mappers[0]!;
  return (e) => {
    let current: IrStreamEvent = e;
    for (const m of mappers) {
      const r = m(current);
      if (r === null) return null;
      if (r !== undefined) current = r;
    }
    return current;
  };
}

/** Collects the request's byte taps; null when no plugin wants one (the common case). A tap hook that throws fails the request. */
export function runTaps(list: CompiledHooks["tap"], rc: RequestContext): RequestTap[] | null {
  if (list === null) return null;
  let taps: RequestTap[] | null = null;
  for (const entry of list) {
    try {
      const t = entry.fn(rc);
      if (t) (taps ??= []).push(t);
    } catch (err) {
      throw hookFailure(entry, "tap", err);
    }
  }
  return taps;
}

/** Observers never fail the request: their errors are logged with plugin and hook. */
export function runAfterResponse(list: CompiledHooks["afterResponse"], rc: RequestContext, s: ResponseSummary): void {
  if (list === null) return;
  for (const entry of list) {
    try {
      const r = entry.fn(rc, s);
      if (isThenable(r)) r.catch((err) => logObserverFailure(entry, "afterResponse", err));
    } catch (err) {
      logObserverFailure(entry, "afterResponse", err);
    }
  }
}

export function runOnError(list: CompiledHooks["onError"], err: ProxyError, rc: RequestContext): void {
  if (list === null) return;
  for (const entry of list) {
    try {
      const r = entry.fn(err, rc);
      if (isThenable(r)) r.catch((e) => logObserverFailure(entry, "onError", e));
    } catch (e) {
      logObserverFailure(entry, "onError", e);
    }
  }
}

function logObserverFailure(entry: HookEntry<unknown>, hook: HookName, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  entry.log.error(`${hook} failed (SWITCHYARD_ERR_PLUGIN_HOOK): ${message}`);
}
