/** Claude Messages at the edge: `event: <type>` frames ending with `message_stop`. */
import { claudeErrorBody, claudeErrorObject } from "../error-envelope.ts";
import type { FormatProfile, StreamObservation } from "../format-profile.ts";
import type { JsonObject, Usage } from "../wire-format.ts";
import type { SseEvent } from "../../stream/sse-parser.ts";
import type { ProxyError } from "../../http/proxy-error.ts";

interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** Claude usage → core usage. `prev` carries fields an event does not repeat (message_delta omits input). */
export function usageFromClaude(u: ClaudeUsage, prev: Usage | null): Usage {
  const input = u.input_tokens ?? prev?.inputTokens ?? 0;
  const output = u.output_tokens ?? prev?.outputTokens ?? 0;
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: input + output };
  const cached = u.cache_read_input_tokens ?? prev?.cachedTokens;
  if (cached) usage.cachedTokens = cached;
  return usage;
}

function observe(ev: SseEvent, obs: StreamObservation): void {
  // Fast path: deltas (the bulk of a stream) need no look inside.
  switch (ev.event) {
    case "content_block_delta":
    case "content_block_start":
    case "content_block_stop":
    case "ping":
      return;
    case "message_stop":
      obs.terminal = true;
      return;
    case "error":
      obs.error = ev.data;
      return;
    case "message_start":
    case "message_delta": {
      try {
        const parsed = JSON.parse(ev.data) as { usage?: ClaudeUsage; message?: { usage?: ClaudeUsage } };
        const u = parsed.usage ?? parsed.message?.usage;
        if (u) obs.usage = usageFromClaude(u, obs.usage);
      } catch {
        // Accounting skips a malformed event; the client still receives it.
      }
    }
  }
}

export const claudeProfile: FormatProfile = {
  id: "claude",
  errorBody: claudeErrorBody,
  streamErrorFrame(err: ProxyError): string {
    return `event: error\ndata: ${JSON.stringify({ type: "error", error: claudeErrorObject(err) })}\n\n`;
  },
  observe,
  bodyUsage(body: JsonObject): Usage | null {
    const u = body.usage;
    return u && typeof u === "object" && !Array.isArray(u) ? usageFromClaude(u as ClaudeUsage, null) : null;
  },
  hasTerminalEvent: true,
};
