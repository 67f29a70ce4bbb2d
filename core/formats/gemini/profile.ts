/** Gemini generateContent at the edge: `data: <json>` frames; the stream simply ends (no terminal event). */
import { openAIErrorBody, sseDataLine } from "../error-envelope.ts";
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
  // Usage rides on the final chunks; only those are parsed.
  if (!data.includes('"usageMetadata"')) return;
  try {
    const u = (JSON.parse(data) as { usageMetadata?: GeminiUsage }).usageMetadata;
    if (u) obs.usage = usageFromGemini(u);
  } catch {
    // Accounting skips a malformed chunk.
  }
}

export const geminiProfile: FormatProfile = {
  id: "gemini",
  errorBody: openAIErrorBody,
  streamErrorFrame(err: ProxyError): string {
    return `event: error\ndata: ${sseDataLine(openAIErrorBody(err))}\n\n`;
  },
  observe,
  bodyUsage(body: JsonObject): Usage | null {
    const u = body.usageMetadata;
    return u && typeof u === "object" && !Array.isArray(u) ? usageFromGemini(u as GeminiUsage) : null;
  },
  hasTerminalEvent: false,
};
