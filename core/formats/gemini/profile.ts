/** Gemini generateContent at the edge: `data: <json>` frames; the stream simply ends (no terminal event). */
import { errorBodyMessage, openAIErrorBody, tryParseJson } from "../error-envelope.ts";
import type { FormatProfile, StreamObservation } from "../format-profile.ts";
import type { JsonObject, Usage } from "../wire-format.ts";
import type { SseEvent } from "../../stream/sse-parser.ts";
import type { ProxyError } from "../../http/proxy-error.ts";

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export function usageFromGemini(u: GeminiUsage): Usage {
  const input = u.promptTokenCount ?? 0;
  const output = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: u.totalTokenCount ?? input + output };
  if (u.cachedContentTokenCount) usage.cachedTokens = u.cachedContentTokenCount;
  if (u.thoughtsTokenCount) usage.reasoningTokens = u.thoughtsTokenCount;
  return usage;
}

function observe(ev: SseEvent, obs: StreamObservation): void {
  const data = ev.data;
  if (data.startsWith('{"error"')) {
    obs.error = data;
    return;
  }
  if (!data.includes('"usageMetadata"')) return;
  // Gemini repeats usageMetadata, with running counts, on every content chunk: parsing those would cost a JSON.parse
  // per delta on the pass-through path. The counts that matter come with the finishReason, or in a usage-only chunk
  // (no parts) after it; only such chunks are parsed.
  if (data.includes('"parts"') && !data.includes('"finishReason"')) return;
  try {
    const u = (JSON.parse(data) as { usageMetadata?: GeminiUsage }).usageMetadata;
    if (u) obs.usage = usageFromGemini(u);
  } catch {
    // Accounting skips a malformed chunk.
  }
}

/** HTTP status → the canonical status name Google APIs put beside the code. */
function grpcStatus(status: number): string {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 501:
      return "UNIMPLEMENTED";
    case 502:
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
  }
  return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
}

/**
 * The in-stream error as the Gemini API itself sends it: a `data:` chunk `{"error":{"code","message","status"}}`.
 * CLIProxyAPI sends `event: error` with the OpenAI-style envelope instead, which Google's own SDK (@google/genai, and
 * the Gemini CLI built on it) never sees: it reads only events that start with `data:` and fails a stream only on an
 * `error` object with a numeric `code`. A cut stream would then look complete to those clients.
 */
function streamErrorFrame(err: ProxyError): string {
  const status = err.status >= 400 && err.status < 600 ? err.status : 500;
  const message = errorBodyMessage(tryParseJson(err.upstreamBody)) ?? err.message;
  return `data: ${JSON.stringify({ error: { code: status, message, status: grpcStatus(status) } })}\n\n`;
}

export const geminiProfile: FormatProfile = {
  id: "gemini",
  errorBody: openAIErrorBody,
  streamErrorFrame,
  observe,
  bodyUsage(body: JsonObject): Usage | null {
    const u = body.usageMetadata;
    return u && typeof u === "object" && !Array.isArray(u) ? usageFromGemini(u as GeminiUsage) : null;
  },
  hasTerminalEvent: false,
};
