/**
 * The request pipeline: hooks → route → (translate) → upstream → stream back.
 *
 * Before the first byte, a failed attempt moves to the next credential; an exhausted pool starts a new round (up to
 * `request-retry`) after the nearest cooldown, as CLIProxyAPI does (behaviour.md §3.3). After the first byte, errors go
 * in-stream in the client's format. Same-format bodies pass through untouched except the model; other formats go
 * through the IR codecs.
 */
import { CODECS } from "../formats/codecs.ts";
import { countTokensBody, estimateInputTokens } from "../formats/count-tokens.ts";
import { foreignUpstreamError } from "../formats/error-envelope.ts";
import type { FormatCodec, IrRequest } from "../formats/ir.ts";
import type { FormatProfile } from "../formats/format-profile.ts";
import { FORMAT_PROFILES } from "../formats/profiles.ts";
import { fitReasoning, parseThinkingSuffix, ReasoningRangeError } from "../formats/thinking.ts";
import { isJsonObject, type JsonObject, type Usage, type WireFormat } from "../formats/wire-format.ts";
import { responseHeaders } from "../http/passthrough-headers.ts";
import { ProxyError, toProxyError } from "../http/proxy-error.ts";
import type { RequestContext } from "../http/request-context.ts";
import { readAllBytes, readAllText, type UpstreamFetch, type UpstreamResponse } from "../http/upstream-fetch.ts";
import { runBeforeUpstream, runOnRequest, runSelectProvider, runTaps, runTransformRequest } from "../plugin/hooks.ts";
import type { RouteTarget, UpstreamCall, UpstreamRequest } from "../plugin/types.ts";
import { type CooldownTracker, formatDuration, parseRetryAfter } from "../routing/cooldown.ts";
import { type AttemptFailure, isRequestFault, upstreamError } from "../routing/failure.ts";
import { clientProtocol, upstreamProtocol } from "../routing/payload-rules.ts";
import { actionCools, actionStops } from "../routing/scoped-errors.ts";
import {
  boundCandidate,
  boundFirst,
  firstAvailableModel,
  orderCandidates,
  type RoutingState,
} from "../routing/selector.ts";
import { SessionBinding } from "../routing/session-affinity.ts";
import { withNonStreamKeepalive } from "./keepalive.ts";
import { streamPassthrough } from "./passthrough.ts";
import { RequestOutcome } from "./request-outcome.ts";
import { assembledFromStream, finishJson, jsonTranslated, streamTranslated } from "./translated-response.ts";

export interface PipelineEnv {
  readonly fetchUpstream: UpstreamFetch;
  readonly routing: RoutingState;
  readonly cooldowns: CooldownTracker;
  /**
   * An OAuth credential got a 401: refresh its tokens once and return the target with the refreshed credential, or
   * null when it cannot be refreshed (API keys, no refresh handler, the refresh failed).
   */
  refreshCredential?(target: RouteTarget): Promise<RouteTarget | null>;
}

/** A new retry round only follows these statuses (behaviour.md §3.3). */
const ROUND_STATUSES: ReadonlySet<number> = new Set([403, 408, 429, 500, 502, 503, 504]);

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "access-control-allow-origin": "*",
});

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function clientClosed(): ProxyError {
  return new ProxyError(499, "client_closed", "Client closed the request");
}

/** Serves one proxied request. `done` runs once when the request has fully ended (used to release the snapshot). */
export async function proxyRequest(rc: RequestContext, env: PipelineEnv, done: () => void): Promise<Response> {
  const profile = FORMAT_PROFILES[rc.format];
  let outcome: RequestOutcome | null = null;
  try {
    outcome = new RequestOutcome(rc, done, runTaps(rc.snapshot.hooks.tap, rc));
    // Fast path: no hook registered, no promise to await.
    const early = rc.snapshot.hooks.onRequest === null ? null : await runOnRequest(rc.snapshot.hooks.onRequest, rc);
    if (early) {
      outcome.finish(early.status, null, null, false);
      return early;
    }
    const keepaliveMs = rc.stream ? 0 : rc.snapshot.settings.nonstreamKeepaliveMs;
    if (keepaliveMs > 0) {
      // Errors become the client's error response here too, so the outcome is finished and the lease released.
      const o = outcome;
      const answer = runAttempts(rc, env, profile, o).catch((err) => fail(profile, err, o));
      return await withNonStreamKeepalive(keepaliveMs, answer);
    }
    return await runAttempts(rc, env, profile, outcome);
  } catch (err) {
    if (outcome === null) {
      // A tap hook threw before anything started: still release the snapshot.
      done();
      return renderError(profile, toProxyError(err));
    }
    return fail(profile, err, outcome);
  }
}

/** An answer the caller already rendered (the edge's own `{"error": …}` bodies), with its body text for the taps. */
export interface RenderedAnswer {
  readonly response: Response;
  readonly body: string;
}

/**
 * A request refused before the pipeline ran (bad body, or refused at the edge): the error response, told to taps and
 * observers. `answer` replaces the client format's error body when the refusal has its own (client auth).
 */
export function rejectRequest(
  rc: RequestContext,
  err: ProxyError,
  done: () => void,
  answer?: RenderedAnswer,
): Response {
  const profile = FORMAT_PROFILES[rc.format];
  let outcome: RequestOutcome;
  try {
    outcome = new RequestOutcome(rc, done, runTaps(rc.snapshot.hooks.tap, rc));
  } catch {
    done();
    return answer?.response ?? renderError(profile, err);
  }
  return fail(profile, err, outcome, answer);
}

function fail(profile: FormatProfile, err: unknown, outcome: RequestOutcome, answer?: RenderedAnswer): Response {
  const e = toProxyError(err);
  const res = answer?.response ?? renderError(profile, e);
  if (outcome.taps !== null) {
    outcome.clientHead(res.status, res.headers);
    outcome.clientChunk(utf8.encode(answer?.body ?? profile.errorBody(e)));
  }
  outcome.finish(e.status, null, e, false);
  return res;
}

/** An HTTP error in the client's format. */
export function renderError(profile: FormatProfile, err: ProxyError): Response {
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (err.headers) Object.assign(headers, err.headers);
  return new Response(profile.errorBody(err), { status: err.status, headers });
}

function unknownModel(model: string): ProxyError {
  return new ProxyError(400, "model_not_found", `unknown provider for model ${model}`, {
    type: "invalid_request_error",
    code: "model_not_found",
    param: "model",
  });
}

/**
 * The request's candidates, and `routeModel`, the model without its thinking suffix (CLIProxyAPI's canonical model
 * key) that routing state (cursors, session bindings) is kept under. A `model(level)` / `model(budget)` suffix is
 * stripped for routing and kept as a reasoning override. Model `auto` (with or without a suffix) becomes the first
 * available model (see `firstAvailableModel`) and `rc.model` is rewritten to it, as CLIProxyAPI normalises the request
 * model — unless a credential serves a model literally named `auto`, which then wins.
 */
async function resolveCandidates(
  rc: RequestContext,
  env: PipelineEnv,
): Promise<{ readonly targets: readonly RouteTarget[]; readonly routeModel: string }> {
  const chosen = rc.snapshot.hooks.selectProvider === null
    ? null
    : await runSelectProvider(rc.snapshot.hooks.selectProvider, rc);
  if (chosen) return { targets: [chosen], routeModel: parseThinkingSuffix(rc.model).base };
  const table = rc.snapshot.models;
  const direct = table.resolve(rc.model);
  if (direct && direct.length > 0) return { targets: direct, routeModel: rc.model };
  const { base, reasoning } = parseThinkingSuffix(rc.model);
  if (base === "auto") {
    const picked = firstAvailableModel(table, env.cooldowns);
    const viaAuto = picked === null ? undefined : table.resolve(picked);
    if (picked !== null && viaAuto && viaAuto.length > 0) {
      rc.log.debug(`model auto resolved to ${picked}`);
      rc.model = picked + rc.model.slice(base.length);
      if (reasoning) rc.reasoningOverride = reasoning;
      return { targets: viaAuto, routeModel: picked };
    }
  }
  if (reasoning) {
    const viaBase = table.resolve(base);
    if (viaBase && viaBase.length > 0) {
      rc.reasoningOverride = reasoning;
      return { targets: viaBase, routeModel: base };
    }
  }
  throw unknownModel(rc.model);
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(clientClosed());
    const onAbort = () => {
      clearTimeout(timer);
      reject(clientClosed());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Jitter ≤ min(wait/4, 2 s), so clients waiting on the same cooldown do not retry in lockstep. */
function withJitter(ms: number): number {
  return ms + Math.random() * Math.min(ms / 4, 2000);
}

function cooldownError(model: string, provider: string, waitMs: number): ProxyError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = `All credentials for model ${model} are cooling down via provider ${provider}`;
  const body = JSON.stringify({
    error: {
      code: "model_cooldown",
      message,
      model,
      reset_time: formatDuration(seconds * 1000),
      reset_seconds: seconds,
      provider,
    },
  });
  return new ProxyError(429, "model_cooldown", message, {
    code: "model_cooldown",
    upstreamBody: body,
    headers: { "Retry-After": String(seconds) },
  });
}

async function runAttempts(
  rc: RequestContext,
  env: PipelineEnv,
  profile: FormatProfile,
  outcome: RequestOutcome,
): Promise<Response> {
  const { targets: candidates, routeModel } = await resolveCandidates(rc, env);
  const settings = rc.snapshot.settings;
  if (rc.operation === "count-tokens" && !candidates[0]!.provider.countsTokens) return countLocally(rc, outcome);

  const lead = candidates[0]!.credential;
  const rounds = (lead.requestRetry ?? settings.requestRetry) + (rc.stream ? settings.bootstrapRetries : 0);
  const cooldowns = env.cooldowns;
  // Session ids are only extracted when affinity is on: otherwise a request pays nothing for it.
  const session = settings.sessionAffinity && candidates.length > 1
    ? SessionBinding.of(env.routing.affinity, settings.sessionAffinityTtlMs, rc.request.headers, rc.body, routeModel)
    : null;
  let round = 0;
  let last: AttemptFailure | null = null;
  for (;;) {
    const now = cooldowns.now;
    const bound = session === null ? undefined : boundCandidate(candidates, session.bound(), cooldowns, now);
    const ordered: Iterable<RouteTarget> = bound === undefined
      ? orderCandidates(candidates, routeModel, settings.strategy, env.routing)
      : boundFirst(bound, () => orderCandidates(candidates, routeModel, settings.strategy, env.routing));
    let earliest = Infinity;
    let tried = 0;
    for (const target of ordered) {
      const until = cooldowns.coolingUntil(target.credential.id, target.upstreamModel, now);
      if (until > 0) {
        if (until < earliest) earliest = until;
        continue;
      }
      // `max-retry-credentials`: credentials tried per round (cooling ones skipped above do not count).
      if (settings.maxRetryCredentials > 0 && tried >= settings.maxRetryCredentials) break;
      if (rc.signal.aborted) throw clientClosed();
      tried++;
      outcome.attempts++;
      rc.target = target;
      const credential = target.credential;
      session?.bind(credential.id);
      let result = await attempt(rc, target, env, profile, outcome, outcome.attempts);
      // An OAuth token may simply have expired: one refresh and one retry before the 401 counts (behaviour.md §3.3).
      if (!(result instanceof Response) && result.error.status === 401 && env.refreshCredential) {
        const refreshed = await env.refreshCredential(target).catch((err: unknown) => {
          rc.log.warn(`refresh of ${credential.label} failed: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        });
        if (refreshed !== null) {
          outcome.attempts++;
          rc.target = refreshed;
          result = await attempt(rc, refreshed, env, profile, outcome, outcome.attempts);
        }
      }
      if (result instanceof Response) {
        cooldowns.recordSuccess(credential.id, target.upstreamModel);
        session?.touch(credential.id);
        return result;
      }
      last = result;
      rc.log.debug(`attempt ${outcome.attempts} via ${credential.label} failed: ${result.error.status}`);
      const report = {
        status: result.error.status,
        body: result.body,
        retryAfterMs: result.retryAfterMs,
        transientMs: settings.transientCooldownMs,
        disableCooling: settings.disableCooling || credential.disableCooling === true,
      };
      // request-scoped-errors decide before the default classification. A network failure has no upstream status
      // for a rule to match (CLIProxyAPI sees status 0 there).
      const action = credential.requestScopedErrors !== undefined && result.error.kind !== "upstream_unreachable"
        ? credential.requestScopedErrors.match(result.error.status, result.body)
        : null;
      if (action !== null) {
        rc.log.debug(`request-scoped-errors: ${action} after ${result.error.status} via ${credential.label}`);
        if (actionCools(action)) {
          // Forced: cools despite disable-cooling, and for the transient default when the status earns nothing.
          const transientMs = settings.transientCooldownMs < 0 ? 0 : settings.transientCooldownMs;
          cooldowns.recordFailure(credential.id, target.upstreamModel, { ...report, transientMs, disableCooling: false });
          session?.release(credential.id);
        }
        if (actionStops(action)) throw result.error;
        continue;
      }
      // A request fault would fail the same way everywhere: return it at once, cool nothing, keep the binding.
      if (!result.retryable) throw result.error;
      cooldowns.recordFailure(credential.id, target.upstreamModel, report);
      session?.release(credential.id);
    }

    if (last === null) {
      // Nothing was tried: every credential is cooling.
      const wait = earliest === Infinity ? 0 : earliest - now;
      if (round < rounds && settings.maxRetryIntervalMs > 0 && wait <= settings.maxRetryIntervalMs) {
        await abortable(withJitter(wait), rc.signal);
        round++;
        continue;
      }
      throw cooldownError(rc.model, candidates[0]!.provider.id, wait);
    }
    if (round >= rounds || !ROUND_STATUSES.has(last.error.status)) throw last.error;
    // Next round: wait for the nearest recovery, unless that is longer than max-retry-interval.
    const after = cooldowns.now;
    let wait = Infinity;
    for (const c of candidates) {
      const until = cooldowns.coolingUntil(c.credential.id, c.upstreamModel, after);
      wait = Math.min(wait, until === 0 ? 0 : until - after);
    }
    if (wait > 0) {
      if (settings.maxRetryIntervalMs <= 0 || wait > settings.maxRetryIntervalMs) throw last.error;
      await abortable(withJitter(wait), rc.signal);
    }
    round++;
  }
}

/** What an attempt sends and how its answer is read. */
interface FormatPlan {
  readonly upstreamFormat: WireFormat;
  /** Null: same format, the body passes through. */
  readonly upstreamCodec: FormatCodec | null;
  readonly clientCodec: FormatCodec | null;
}

function planFormats(rc: RequestContext, target: RouteTarget): FormatPlan {
  const formats = target.provider.formats;
  const providerId = target.provider.id;
  const native = formats.includes(rc.format);
  // A reasoning suffix must be applied to the body, and a force-mapped model must answer under its alias: such
  // same-format requests go through the IR too (the codec renders the client's model name).
  if (native && rc.reasoningOverride === null && target.model?.forceMapping !== true) {
    return { upstreamFormat: rc.format, upstreamCodec: null, clientCodec: null };
  }
  const upstreamFormat = native ? rc.format : formats[0]!;
  const clientCodec = CODECS[rc.format];
  const upstreamCodec = CODECS[upstreamFormat];
  if (!clientCodec || !upstreamCodec) {
    throw new ProxyError(
      501,
      "not_implemented",
      native
        ? `Rewriting ${rc.format} requests through the IR is not implemented yet`
        : `Translating ${rc.format} requests to ${upstreamFormat} (provider ${providerId}) is not implemented yet`,
    );
  }
  return { upstreamFormat, upstreamCodec, clientCodec };
}

/** Same-family formats share reasoning semantics: an impossible budget there is the client's error, not ours. */
function family(format: WireFormat): string {
  return format === "claude" ? "claude" : format === "gemini" ? "gemini" : "openai";
}

/** The request's reasoning fitted to this attempt's model (behaviour.md §4.2); the IR itself is left as parsed. */
function fitToModel(ir: IrRequest, target: RouteTarget, from: WireFormat, to: WireFormat): IrRequest {
  if (ir.reasoning === undefined || target.model === undefined || target.model.thinking === undefined) return ir;
  const support = target.model.thinking === false ? undefined : target.model.thinking;
  try {
    const reasoning = fitReasoning(ir.reasoning, support, family(from) === family(to));
    if (reasoning === ir.reasoning) return ir;
    const { reasoning: _dropped, ...rest } = ir;
    return reasoning === undefined ? rest : { ...rest, reasoning };
  } catch (err) {
    if (err instanceof ReasoningRangeError) {
      throw new ProxyError(400, "bad_request", `Invalid reasoning for ${target.upstreamModel}: ${err.message}`, {
        type: "invalid_request_error",
      });
    }
    throw err;
  }
}

/** The credential's `proxy-url` beats the global one; `direct` / `none` mean no proxy at all. */
/**
 * The proxy for one attempt: the credential's, else the global one; null when neither is set (the upstream leg then
 * follows the environment's HTTP(S)_PROXY, as CLIProxyAPI's default transport does). `direct` / `none` are passed on:
 * they bypass the environment too.
 */
function effectiveProxy(credential: string | undefined, global: string): string | null {
  return credential || global || null;
}

function irRequest(rc: RequestContext, codec: FormatCodec): IrRequest {
  let ir = rc.ir;
  if (ir === null) {
    // Parsed once per request, reused by every attempt.
    ir = codec.parseRequest(rc.body);
    if (rc.reasoningOverride !== null) ir = { ...ir, reasoning: rc.reasoningOverride };
    rc.ir = ir;
  }
  return ir;
}

async function attempt(
  rc: RequestContext,
  target: RouteTarget,
  env: PipelineEnv,
  profile: FormatProfile,
  outcome: RequestOutcome,
  n: number,
): Promise<Response | AttemptFailure> {
  const adapter = target.provider;
  const plan = planFormats(rc, target);
  rc.upstreamFormat = plan.upstreamFormat;
  const upstreamStream = rc.operation === "generate" && (rc.stream || adapter.streamOnly === true);
  let body: JsonObject;
  if (plan.upstreamCodec === null) {
    body = { ...rc.body, model: target.upstreamModel };
    if (upstreamStream && !rc.stream && rc.format !== "gemini") body.stream = true;
  } else {
    let ir = fitToModel(irRequest(rc, plan.clientCodec!), target, rc.format, plan.upstreamFormat);
    if (rc.snapshot.hooks.transformRequest !== null) {
      ir = await runTransformRequest(rc.snapshot.hooks.transformRequest, ir, target, rc);
    }
    body = plan.upstreamCodec.renderRequest(ir, { model: target.upstreamModel, stream: upstreamStream });
  }
  const rules = rc.snapshot.payloadRules;
  if (rules !== null) {
    body = rules.apply(body, {
      model: target.upstreamModel,
      requestedModel: rc.model,
      protocol: upstreamProtocol(plan.upstreamFormat, adapter.id),
      fromProtocol: clientProtocol(rc.format),
      headers: rc.request.headers,
    });
  }
  const call: UpstreamCall = {
    credential: target.credential,
    upstreamModel: target.upstreamModel,
    format: plan.upstreamFormat,
    operation: rc.operation,
    stream: upstreamStream,
    body,
    rc,
  };
  let built: UpstreamRequest;
  try {
    built = await adapter.buildRequest(call);
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    // A provider bug or an unusable credential: try the next one. The provider's own text stays in the log only.
    rc.log.warn(`${adapter.id} could not build the request for ${target.credential.label}: ${err instanceof Error ? err.message : String(err)}`);
    const message = `Provider ${adapter.id} could not build the upstream request`;
    return { error: new ProxyError(502, "upstream_error", message), retryable: true, body: message };
  }
  const up = rc.snapshot.hooks.beforeUpstream === null
    ? built
    : await runBeforeUpstream(rc.snapshot.hooks.beforeUpstream, built, rc);
  const taps = outcome.taps;
  if (taps !== null) for (const t of taps) t.upstreamRequest?.(n, up, target);

  let res: UpstreamResponse;
  try {
    res = await env.fetchUpstream(up, rc.signal, effectiveProxy(target.credential.proxyUrl, rc.snapshot.settings.proxyUrl));
  } catch (err) {
    if (rc.signal.aborted) throw clientClosed();
    const message = `Upstream ${adapter.id} unreachable: ${err instanceof Error ? err.message : String(err)}`;
    if (taps !== null) for (const t of taps) t.upstreamError?.(n, message);
    return { error: new ProxyError(502, "upstream_unreachable", message), retryable: true, body: message };
  }
  if (taps !== null) for (const t of taps) t.upstreamResponse?.(n, res.status, res.headers);

  if (res.status < 200 || res.status >= 300) {
    let text = "";
    try {
      text = await readAllText(res.body, 4 * 1024 * 1024);
    } catch {
      // The status alone still classifies the failure.
    }
    if (taps !== null) for (const t of taps) t.upstreamChunk?.(n, utf8.encode(text));
    const retryAfter = res.headers.get("retry-after");
    return {
      error: foreignUpstreamError(upstreamError(res.status, text, adapter.id, retryAfter), rc.format, plan.upstreamFormat),
      retryable: !isRequestFault(res.status, text),
      body: text,
      retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
    };
  }

  if (rc.operation === "count-tokens") return countFromUpstream(rc, res, outcome, n);
  if (plan.upstreamCodec === null) {
    if (rc.stream) return streamPassthrough(rc, res, profile, outcome, n);
    if (upstreamStream) {
      const codec = CODECS[rc.format];
      if (!codec) throw new ProxyError(501, "not_implemented", `Assembling ${rc.format} streams is not implemented yet`);
      return assembledFromStream(rc, res, codec, codec, outcome, n);
    }
    return jsonPassthrough(rc, res, profile, outcome, n);
  }
  if (rc.stream) return streamTranslated(rc, res, plan.upstreamCodec, plan.clientCodec!, outcome, n);
  if (upstreamStream) return assembledFromStream(rc, res, plan.upstreamCodec, plan.clientCodec!, outcome, n);
  return jsonTranslated(rc, res, plan.upstreamCodec, plan.clientCodec!, outcome, n);
}

async function jsonPassthrough(
  rc: RequestContext,
  res: UpstreamResponse,
  profile: FormatProfile,
  outcome: RequestOutcome,
  n: number,
): Promise<Response | AttemptFailure> {
  let bytes: Uint8Array;
  try {
    bytes = await readAllBytes(res.body);
  } catch (err) {
    // The client left: not the credential's fault, so no cooldown and a 499, not a made-up 502.
    if (rc.signal.aborted) throw clientClosed();
    const message = `Upstream response failed: ${err instanceof Error ? err.message : String(err)}`;
    return { error: new ProxyError(502, "upstream_error", message), retryable: true, body: message };
  }
  const headers = {
    ...responseHeaders(JSON_HEADERS, res.headers, rc.snapshot.settings.passthroughHeaders),
    "content-type": res.headers.get("content-type") ?? "application/json",
  };
  outcome.firstByteAt = performance.now();
  if (outcome.taps !== null) {
    for (const t of outcome.taps) t.upstreamChunk?.(n, bytes);
    outcome.clientHead(res.status, new Headers(headers));
    outcome.clientChunk(bytes);
  }
  // Usage is only decoded and parsed out of the body when an observer reads it.
  outcome.finish(res.status, () => usageOfBody(profile, utf8Decoder.decode(bytes)), null, false);
  // The upstream's bytes go out as they came (no decode and re-encode). 204/205/304 cannot carry a body (the Response
  // constructor throws). (Never a SharedArrayBuffer: every upstream leg reads into plain ArrayBuffers.)
  const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(nullBody ? null : bytes as Uint8Array<ArrayBuffer>, { status: res.status, headers });
}

function usageOfBody(profile: FormatProfile, text: string): Usage | null {
  try {
    const body: unknown = JSON.parse(text);
    return isJsonObject(body) ? profile.bodyUsage(body) : null;
  } catch {
    return null;
  }
}

/** `count_tokens` with no upstream counter: a local estimate in the client's shape. */
function countLocally(rc: RequestContext, outcome: RequestOutcome): Response {
  const codec = CODECS[rc.format];
  if (!codec) throw new ProxyError(501, "not_implemented", `Counting ${rc.format} tokens is not implemented yet`);
  const tokens = estimateInputTokens(irRequest(rc, codec));
  return finishJson(outcome, JSON.stringify(countTokensBody(rc.format, tokens)), null, null, null);
}

/** An upstream count (`{"input_tokens":N}` or `{"totalTokens":N}`) in the client's shape. */
async function countFromUpstream(
  rc: RequestContext,
  res: UpstreamResponse,
  outcome: RequestOutcome,
  n: number,
): Promise<Response | AttemptFailure> {
  let text: string;
  try {
    text = await readAllText(res.body);
  } catch (err) {
    if (rc.signal.aborted) throw clientClosed();
    const message = `Upstream count failed: ${err instanceof Error ? err.message : String(err)}`;
    return { error: new ProxyError(502, "upstream_error", message), retryable: true, body: message };
  }
  if (outcome.taps !== null) for (const t of outcome.taps) t.upstreamChunk?.(n, utf8.encode(text));
  let tokens: unknown;
  try {
    const parsed = JSON.parse(text) as { input_tokens?: unknown; totalTokens?: unknown };
    tokens = parsed.input_tokens ?? parsed.totalTokens;
  } catch {
    tokens = undefined;
  }
  if (typeof tokens !== "number") {
    const error = new ProxyError(502, "upstream_error", "Upstream count answer has no token count");
    return { error, retryable: true, body: text };
  }
  return finishJson(outcome, JSON.stringify(countTokensBody(rc.format, tokens)), null, rc, res.headers);
}
