/** Which upstream formats carry thinking signatures (the attempt's format is `RequestContext.upstreamFormat`). */
import type { WireFormat } from "../../core/formats/wire-format.ts";

/**
 * Formats whose answers carry thinking signatures and whose request renderers replay them (Claude `signature`,
 * Gemini `thoughtSignature`, Responses `encrypted_content`). OpenAI chat and completions have no place for one.
 */
export function signsThinking(format: WireFormat | undefined): format is "claude" | "gemini" | "openai-responses" {
  return format === "claude" || format === "gemini" || format === "openai-responses";
}
