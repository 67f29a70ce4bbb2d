/**
 * Errors inside a Responses stream (behaviour.md §1.3, vector 25): what an upstream's `error` / `response.failed`
 * means as an HTTP status, and the frame a client gets — `event: error` for everyone, `event: response.failed` for
 * Codex clients, whose CLI only treats that one as a failed turn.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { tryParseJson } from "../error-envelope.ts";

/** Codex CLI, TUI and Desktop identify themselves by User-Agent or `Originator` (CPA checks both). */
export function isCodexClient(userAgent: string | undefined): boolean {
  if (!userAgent) return false;
  const ua = userAgent.trimStart().toLowerCase();
  return ua.startsWith("codex_cli_rs") || ua.startsWith("codex-tui") || ua.startsWith("codex desktop");
}

/** The HTTP status an upstream stream error stands for: an explicit status field, else its code. */
export function errorStatus(err: JsonObject): number {
  for (const key of ["status", "status_code"]) {
    const v = err[key];
    if (typeof v === "number" && v >= 400 && v <= 599) return v;
  }
  const code = typeof err.code === "string" ? err.code : typeof err.type === "string" ? err.type : "";
  switch (code) {
    case "rate_limit_exceeded":
    case "rate_limit_error":
    case "insufficient_quota":
    case "usage_limit_reached":
    case "usage_not_included":
      return 429;
    case "server_is_overloaded":
    case "slow_down":
    case "overloaded_error":
      return 503;
    case "server_error":
    case "internal_server_error":
      return 500;
    case "invalid_api_key":
    case "authentication_error":
      return 401;
    case "context_length_exceeded":
    case "invalid_prompt":
    case "invalid_request":
    case "invalid_request_error":
      return 400;
  }
  return code.startsWith("invalid_") || code.startsWith("image_") ? 400 : 502;
}

/** CPA's `code` for a status when the error carries none of its own. */
export function errorCodeOf(status: number): string {
  switch (status) {
    case 401:
      return "invalid_api_key";
    case 403:
      return "insufficient_quota";
    case 404:
      return "model_not_found";
    case 408:
      return "request_timeout";
    case 429:
      return "rate_limit_exceeded";
  }
  if (status >= 500) return "internal_server_error";
  return status >= 400 ? "invalid_request_error" : "unknown_error";
}

const MESSAGE_LIMIT = 2048;
// `Authorization: Bearer <token>` keeps its scheme word and loses the token (CPA's pattern would mask only "Bearer").
const SENSITIVE =
  /((?:"?(?:api[_-]?key|access[_-]?token|token|authorization|secret)"?)\s*[=:]\s*"?(?:Bearer\s+)?)([^\s"&,;}]+)/gi;
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi;

/** Secrets masked, at most 2048 characters (code points, never a split surrogate pair). */
export function safeErrorMessage(message: string): string {
  const m = message.replace(SENSITIVE, "$1[REDACTED]").replace(BEARER, "Bearer [REDACTED]");
  if (m.length <= MESSAGE_LIMIT) return m;
  const points = Array.from(m);
  return points.length <= MESSAGE_LIMIT ? m : points.slice(0, MESSAGE_LIMIT - 1).join("") + "…";
}

export interface StreamErrorDetail {
  readonly type: string;
  readonly code: string;
  readonly message: string;
}

/**
 * The error a client sees. An upstream JSON error body passed as the message (`{"error":{code,message}}`) gives up its
 * own code and message rather than being shown raw.
 */
export function streamErrorDetail(status: number, message: string, errorType: string | undefined): StreamErrorDetail {
  let code: string | undefined;
  let text = message;
  let type = errorType;
  if (message.startsWith("{")) {
    const parsed = tryParseJson(message);
    const inner: JsonValue | undefined = isJsonObject(parsed)
      ? (isJsonObject(parsed.error) ? parsed.error : isJsonObject(parsed.response) ? parsed.response.error : parsed)
      : undefined;
    if (isJsonObject(inner)) {
      if (typeof inner.message === "string" && inner.message !== "") text = inner.message;
      if (typeof inner.code === "string" && inner.code !== "") code = inner.code;
      if (typeof inner.type === "string" && inner.type !== "" && inner.type !== "error") type = inner.type;
    }
  }
  return {
    type: type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
    code: code ?? errorCodeOf(status),
    message: safeErrorMessage(text || "Upstream error"),
  };
}
