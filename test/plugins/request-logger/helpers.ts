/** Shared fixtures for the request-logger tests. */
import { RequestContext } from "../../../core/http/request-context.ts";
import type { Snapshot } from "../../../core/config/snapshot.ts";
import type { ResponseSummary, RouteTarget, UpstreamRequest } from "../../../core/plugin/types.ts";
import type { ProxyError } from "../../../core/http/proxy-error.ts";
import type { JsonObject } from "../../../core/formats/wire-format.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function fakeRc(
  opts: { url?: string; headers?: Record<string, string>; body?: JsonObject; stream?: boolean } = {},
): RequestContext {
  const url = opts.url ?? "http://127.0.0.1:8317/v1/chat/completions";
  const body = opts.body ?? { model: "alias", messages: [{ role: "user", content: "hi" }] };
  return new RequestContext({
    snapshot: {} as Snapshot,
    format: "openai-chat",
    operation: "generate",
    request: new Request(url, { method: "POST", headers: opts.headers ?? { "content-type": "application/json" } }),
    remoteAddress: null,
    body,
    rawBody: JSON.stringify(body),
    model: "alias",
    stream: opts.stream ?? false,
    signal: new AbortController().signal,
    query: new URLSearchParams(url.includes("?") ? url.slice(url.indexOf("?") + 1) : ""),
  });
}

export function fakeTarget(): RouteTarget {
  return {
    provider: { id: "openai-compatible", formats: ["openai-chat"], buildRequest: () => upstreamRequest() },
    credential: {
      id: "openai-compatible:fake#0",
      provider: "openai-compatible",
      label: "fake sk-u…cdef",
      priority: 0,
      weight: 1,
      models: [],
      data: null,
    },
    upstreamModel: "real-model",
  } as RouteTarget;
}

export function upstreamRequest(key = "sk-upstream-0123456789abcdef"): UpstreamRequest {
  return {
    url: "http://127.0.0.1:9/v1/chat/completions",
    method: "POST",
    headers: new Headers({ authorization: `Bearer ${key}`, "content-type": "application/json" }),
    body: '{"model":"real-model"}',
  };
}

export function summary(over: Partial<ResponseSummary> = {}): ResponseSummary {
  return {
    status: 200,
    stream: false,
    usage: null,
    attempts: 1,
    firstByteMs: 1,
    durationMs: 2,
    error: null as ProxyError | null,
    cancelled: false,
    ...over,
  };
}
