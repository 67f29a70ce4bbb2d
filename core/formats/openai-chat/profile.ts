/** OpenAI Chat Completions (and legacy Completions) at the edge: `data: <json>` frames ending in `data: [DONE]`. */
import { openAIErrorBody, sseDataLine } from "../error-envelope.ts";
import type { FormatProfile, StreamObservation } from "../format-profile.ts";
import type { JsonObject, Usage } from "../wire-format.ts";
import type { SseEvent } from "../../stream/sse-parser.ts";
import type { ProxyError } from "../../http/proxy-error.ts";

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** Converts an OpenAI `usage` object; tolerant of missing fields. */
export function usageFromOpenAI(u: OpenAIUsage): Usage {
  const input = u.prompt_tokens ?? 0;
  const output = u.completion_tokens ?? 0;
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: u.total_tokens ?? input + output };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (cached) usage.cachedTokens = cached;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (reasoning) usage.reasoningTokens = reasoning;
  return usage;
}

// `"usage":null` appears on every chunk when include_usage is set; only an object is worth parsing.
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

function observe(ev: SseEvent, obs: StreamObservation): void {
  const data = ev.data;
  if (data === "[DONE]") {
    obs.terminal = true;
    return;
  }
  // Fast path: a content delta starts with `{"id"`; two prefix/substring tests and it is passed by unparsed.
  if (data.startsWith('{"error"')) {
    obs.error = data;
    return;
  }
  // Fast path: with include_usage every content chunk ends in `"usage":null}`; one suffix test rules it out before
  // any scan (a substring search for `"usage"` is slow on a line where every key is quoted).
  if (data.endsWith('"usage":null}')) return;
  if (data.includes('"usage"') && USAGE_OBJECT.test(data)) {
    try {
      const chunk = JSON.parse(data) as { usage?: OpenAIUsage | null };
      if (chunk.usage) obs.usage = usageFromOpenAI(chunk.usage);
    } catch {
      // A malformed chunk is the client's to see; accounting just skips it.
    }
  }
}

export const openAIChatProfile: FormatProfile = {
  id: "openai-chat",
  errorBody: openAIErrorBody,
  streamErrorFrame(err: ProxyError): string {
    return `data: ${sseDataLine(openAIErrorBody(err))}\n\n`;
  },
  observe,
  bodyUsage(body: JsonObject): Usage | null {
    const u = body.usage;
    return u && typeof u === "object" && !Array.isArray(u) ? usageFromOpenAI(u as OpenAIUsage) : null;
  },
  hasTerminalEvent: true,
};

export const openAICompletionsProfile: FormatProfile = { ...openAIChatProfile, id: "openai-completions" };
