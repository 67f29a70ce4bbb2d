/**
 * Error bodies as CLIProxyAPI renders them (behaviour.md §1.4): the OpenAI-style envelope shared by the OpenAI, Gemini
 * and Responses entries, and the Claude envelope.
 */
import type { ProxyError } from "../http/proxy-error.ts";

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
