/**
 * Which wire format an attempt speaks to its upstream, and which formats carry thinking signatures.
 *
 * The plugin API hands hooks the attempt's {@link RouteTarget} and the client's format, not the format the core chose
 * for the upstream; the core's rule is simple and stable (the client's own format when the provider speaks it, else
 * the provider's preferred one), so it is applied here. A wrong answer could only make the plugin skip a restore: a
 * restored signature is labelled with this format, and each renderer replays only its own format's signatures.
 */
import type { RouteTarget } from "../../core/plugin/types.ts";
import type { WireFormat } from "../../core/formats/wire-format.ts";

export function attemptFormat(target: RouteTarget, clientFormat: WireFormat): WireFormat | undefined {
  const formats = target.provider.formats;
  return formats.includes(clientFormat) ? clientFormat : formats[0];
}

/**
 * Formats whose answers carry thinking signatures and whose request renderers replay them (Claude `signature`,
 * Gemini `thoughtSignature`, Responses `encrypted_content`). OpenAI chat and completions have no place for one.
 */
export function signsThinking(format: WireFormat | undefined): format is "claude" | "gemini" | "openai-responses" {
  return format === "claude" || format === "gemini" || format === "openai-responses";
}
