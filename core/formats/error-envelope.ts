/**
 * Error bodies as CLIProxyAPI renders them (behaviour.md §1.4): the OpenAI-style envelope shared by the OpenAI, Gemini
 * and Responses entries, and the Claude envelope.
 */
import { ProxyError } from "../http/proxy-error.ts";
import type { WireFormat } from "./wire-format.ts";

/** Parses text as JSON, or null when it is not JSON. Only used on error paths. */
export function tryParseJson(text: string | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * `text` fit for one SSE `data:` line. A verbatim upstream body may be pretty-printed JSON; its line breaks would end
 * the `data:` line and corrupt the frame, so such JSON is re-serialised compactly (same value).
 */
export function sseDataLine(text: string): string {
  if (!text.includes("\n") && !text.includes("\r")) return text;
  const parsed = tryParseJson(text);
  return parsed !== null ? JSON.stringify(parsed) : text.replace(/\r\n|\r|\n/g, " ");
}

function openAIDefaults(status: number): { type: string; code?: string } {
  if (status === 401) return { type: "authentication_error", code: "invalid_api_key" };
  if (status === 403) return { type: "permission_error", code: "insufficient_quota" };
  if (status === 429) return { type: "rate_limit_error", code: "rate_limit_exceeded" };
  if (status === 404) return { type: "invalid_request_error", code: "model_not_found" };
  if (status >= 500) return { type: "server_error", code: "internal_server_error" };
  return { type: "invalid_request_error" };
}

/** `{"error":{message,type,code[,param]}}`, or the upstream's own body verbatim when it is JSON. */
export function openAIErrorBody(err: ProxyError): string {
  if (err.upstreamBody !== undefined && tryParseJson(err.upstreamBody) !== null) return err.upstreamBody;
  const d = openAIDefaults(err.status);
  const error: Record<string, string> = { message: err.message, type: err.type ?? d.type };
  const code = err.code ?? d.code;
  if (code !== undefined) error.code = code;
  if (err.param !== undefined) error.param = err.param;
  return JSON.stringify({ error });
}

export function claudeErrorType(status: number): string {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
  }
  return status >= 500 ? "api_error" : "invalid_request_error";
}

/** `{"type":"error","error":{type,message}}`; an upstream JSON body's `error.type`/`error.message` win. */
export function claudeErrorObject(err: ProxyError): { type: string; message: string } {
  let type = claudeErrorType(err.status);
  let message = err.message;
  const upstream = tryParseJson(err.upstreamBody) as { error?: { type?: unknown; message?: unknown } } | null;
  if (upstream && typeof upstream === "object" && upstream.error && typeof upstream.error === "object") {
    if (typeof upstream.error.type === "string") type = upstream.error.type;
    if (typeof upstream.error.message === "string") message = upstream.error.message;
  } else if (err.upstreamBody && upstream === null) {
    message = err.upstreamBody;
  }
  return { type, message };
}

export function claudeErrorBody(err: ProxyError): string {
  return JSON.stringify({ type: "error", error: claudeErrorObject(err) });
}

/** Formats whose clients read the same error envelope: OpenAI's (Chat, Completions, Responses), Claude's, Gemini's. */
function envelopeFamily(format: WireFormat): "openai" | "claude" | "gemini" {
  return format === "claude" ? "claude" : format === "gemini" ? "gemini" : "openai";
}

/**
 * The message inside an error body of any format: `error.message` (OpenAI, Claude, Gemini — Gemini sometimes wraps
 * the body in a one-element array), else a top-level `message` or `detail`.
 */
export function errorBodyMessage(body: unknown): string | undefined {
  const b = Array.isArray(body) && body.length === 1 ? body[0] : body;
  if (typeof b !== "object" || b === null || Array.isArray(b)) return undefined;
  const o = b as { error?: unknown; message?: unknown; detail?: unknown };
  const inner = o.error;
  if (typeof inner === "object" && inner !== null && typeof (inner as { message?: unknown }).message === "string") {
    return (inner as { message: string }).message;
  }
  if (typeof inner === "string") return inner;
  if (typeof o.message === "string") return o.message;
  return typeof o.detail === "string" ? o.detail : undefined;
}

/**
 * An upstream's error as a client of another format must get it. The verbatim-JSON rule (§1.4, vector 7) serves
 * clients of the upstream's own envelope; a foreign body — Claude's `{"type":"error","error":{…}}` or Gemini's
 * `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}` to an OpenAI client, a Codex `usage_limit_reached` type to a
 * Claude client — is not the client's error format, and its SDK would misread it. CLIProxyAPI passes it on as is;
 * here the upstream's message is kept and the client's own envelope is built around it, type and code by status.
 * Same-family errors are returned unchanged.
 */
export function foreignUpstreamError(err: ProxyError, client: WireFormat, upstream: WireFormat): ProxyError {
  if (err.upstreamBody === undefined || envelopeFamily(client) === envelopeFamily(upstream)) return err;
  const message = errorBodyMessage(tryParseJson(err.upstreamBody)) ?? err.message;
  return new ProxyError(err.status, err.kind, message, { headers: err.headers, cause: err });
}
