/** OpenAI Responses at the edge: `event: response.*` frames ending with a terminal response event. */
import { openAIErrorBody, tryParseJson } from "../error-envelope.ts";
import type { FormatProfile, StreamObservation } from "../format-profile.ts";
import type { JsonObject, Usage } from "../wire-format.ts";
import type { SseEvent } from "../../stream/sse-parser.ts";
import type { ProxyError } from "../../http/proxy-error.ts";

interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
}

export function usageFromResponses(u: ResponsesUsage): Usage {
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: u.total_tokens ?? input + output };
  if (u.input_tokens_details?.cached_tokens) usage.cachedTokens = u.input_tokens_details.cached_tokens;
  if (u.output_tokens_details?.reasoning_tokens) usage.reasoningTokens = u.output_tokens_details.reasoning_tokens;
  return usage;
}

function observe(ev: SseEvent, obs: StreamObservation): void {
  const type = ev.event;
  if (type === undefined || !type.startsWith("response.") && type !== "error") return;
  if (type === "error" || type === "response.failed") {
    obs.error = ev.data;
    obs.terminal = type === "response.failed";
    return;
  }
  // Fast path: deltas and item events are not terminal and carry no usage.
  if (type !== "response.completed" && type !== "response.incomplete" && type !== "response.done") return;
  obs.terminal = true;
  const parsed = tryParseJson(ev.data) as { response?: { usage?: ResponsesUsage } } | null;
  const u = parsed?.response?.usage;
  if (u) obs.usage = usageFromResponses(u);
}

export const openAIResponsesProfile: FormatProfile = {
  id: "openai-responses",
  errorBody: openAIErrorBody,
  streamErrorFrame(err: ProxyError): string {
    const body = { type: "error", code: err.code ?? String(err.status), message: err.message, sequence_number: 0 };
    return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
  },
  observe,
  bodyUsage(body: JsonObject): Usage | null {
    const u = body.usage;
    return u && typeof u === "object" && !Array.isArray(u) ? usageFromResponses(u as ResponsesUsage) : null;
  },
  hasTerminalEvent: true,
};
