/**
 * Gemini `usageMetadata` and `finishReason` ↔ IR (behaviour.md §4.3, §4.4).
 */
import type { IrStopReason, IrUsage } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { numberAt } from "./fields.ts";

/**
 * `usageMetadata` → IR usage: input = prompt (+ tool-use prompt, which Gemini counts apart), output = candidates +
 * thoughts, cacheRead = cachedContent, reasoning = thoughts.
 */
export function usageFromMetadata(u: JsonObject): IrUsage {
  const input = (numberAt(u, "promptTokenCount", "prompt_token_count") ?? 0) +
    (numberAt(u, "toolUsePromptTokenCount", "tool_use_prompt_token_count") ?? 0);
  const thoughts = numberAt(u, "thoughtsTokenCount", "thoughts_token_count") ?? 0;
  const output = (numberAt(u, "candidatesTokenCount", "candidates_token_count") ?? 0) + thoughts;
  const cached = numberAt(u, "cachedContentTokenCount", "cached_content_token_count") ?? 0;
  const usage: { input: number; output: number; cacheRead?: number; reasoning?: number } = { input, output };
  if (cached > 0) usage.cacheRead = cached;
  if (thoughts > 0) usage.reasoning = thoughts;
  return usage;
}

/** IR usage → `usageMetadata`; `candidatesTokenCount` excludes the thoughts, as Gemini counts them. */
export function metadataFromUsage(u: IrUsage): JsonObject {
  const reasoning = u.reasoning ?? 0;
  const meta: JsonObject = {
    promptTokenCount: u.input,
    candidatesTokenCount: Math.max(0, u.output - reasoning),
    totalTokenCount: u.input + u.output,
  };
  if (u.cacheRead) meta.cachedContentTokenCount = u.cacheRead;
  if (reasoning > 0) meta.thoughtsTokenCount = reasoning;
  return meta;
}

/** Gemini's finish reasons that mean a content filter stopped the answer. */
const FILTER_REASONS: ReadonlySet<string> = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

/** A Gemini `finishReason` (or prompt `blockReason`) as an IR stop reason; any function call wins (CPA). */
export function stopReasonFromFinish(reason: string, sawToolCall: boolean): IrStopReason {
  if (sawToolCall) return "tool_use";
  const r = reason.toUpperCase();
  if (r === "MAX_TOKENS") return "max_tokens";
  if (FILTER_REASONS.has(r)) return "content_filter";
  return "end_turn";
}

/** An IR stop reason as a Gemini `finishReason`; a filter stop keeps Gemini's own reason when the upstream gave one. */
export function finishReasonFromStop(stop: IrStopReason | null | undefined, native: string | undefined): string {
  switch (stop) {
    case "max_tokens":
      return "MAX_TOKENS";
    case "content_filter":
    case "refusal": {
      const n = native?.toUpperCase();
      return n !== undefined && FILTER_REASONS.has(n) ? n : "SAFETY";
    }
    default:
      return "STOP";
  }
}
