/**
 * Classifies an upstream failure: a request fault is returned to the client at once (another credential would fail
 * the same way), anything else moves on to the next credential (behaviour.md §3.3).
 */
import { ProxyError } from "../http/proxy-error.ts";
import { tryParseJson } from "../formats/error-envelope.ts";

const REQUEST_FAULT_STATUS = new Set([400, 409, 413, 422]);
const REQUEST_FAULT_CODES = new Set([
  "context_length_exceeded",
  "invalid_prompt",
  "invalid_value",
  "unsupported_value",
  "invalid_request_error",
  "message_too_big",
  "string_above_max_length",
  "cyber_policy",
  "previous_response_not_found",
]);
const REQUEST_FAULT_TYPES = new Set(["invalid_request", "invalid_request_error", "bad_request_error", "invalid_prompt"]);

/** Does the body say the model is not available for this account or plan? (A credential problem, not the request's.) */
export function modelUnsupported(body: string): boolean {
  return /model[^"]{0,40}(not supported|not available|does not exist|not found)|not available (for|on) your plan/i
    .test(body);
}

export function cloudflareChallenge(body: string): boolean {
  return body.includes("cf-chl") || body.includes("Just a moment...") || body.includes("challenge-platform");
}

/** True when the upstream rejected the request itself, not the credential. */
export function isRequestFault(status: number, body: string): boolean {
  // These look like request faults but are about the credential: another one may well succeed.
  if (body.includes("invalid_grant") || modelUnsupported(body) || cloudflareChallenge(body)) return false;
  if (REQUEST_FAULT_STATUS.has(status)) return true;
  // Only bodies that look like JSON error envelopes are worth parsing.
  if (!body.includes('"error"')) return false;
  const parsed = tryParseJson(body) as { error?: { code?: unknown; type?: unknown } } | null;
  const e = parsed?.error;
  if (!e || typeof e !== "object") return false;
  return (typeof e.code === "string" && REQUEST_FAULT_CODES.has(e.code)) ||
    (typeof e.type === "string" && REQUEST_FAULT_TYPES.has(e.type));
}

/** One failed upstream attempt, as the retry loop sees it. */
export interface AttemptFailure {
  readonly error: ProxyError;
  /** False for request faults: return to the client at once, cool nothing. */
  readonly retryable: boolean;
  /** The upstream's error body text (for cooldown classification). */
  readonly body: string;
  /** `Retry-After` in ms, when the upstream sent one. */
  readonly retryAfterMs?: number;
}

/** Upstream error bodies are returned verbatim; long non-JSON text is cut so a client never gets megabytes of HTML. */
const MESSAGE_LIMIT = 2048;

export function upstreamError(status: number, body: string, provider: string, retryAfter: string | null): ProxyError {
  const trimmed = body.trim();
  const message = trimmed
    ? (trimmed.length > MESSAGE_LIMIT ? trimmed.slice(0, MESSAGE_LIMIT) + "…" : trimmed)
    : `Upstream ${provider} answered ${status}`;
  return new ProxyError(status, "upstream_error", message, {
    upstreamBody: tryParseJson(trimmed) !== null ? trimmed : undefined,
    headers: retryAfter ? { "Retry-After": retryAfter } : undefined,
  });
}
