/**
 * Reasoning items (`{type:"reasoning", summary, encrypted_content}`) as IR thinking: the summary parts joined by a
 * blank line (the stream parser joins streamed parts the same way), `encrypted_content` as an OpenAI signature.
 */
import type { IrThinkingPart } from "../ir.ts";
import { isJsonObject, type JsonObject } from "../wire-format.ts";

/** Reasoning summary parts (or, failing that, raw reasoning text) joined like the stream parser joins them. */
export function reasoningText(item: JsonObject): string {
  for (const key of ["summary", "content"]) {
    const parts = item[key];
    if (!Array.isArray(parts)) continue;
    let text = "";
    let n = 0;
    for (const p of parts) {
      const t = isJsonObject(p) ? (typeof p.text === "string" ? p.text : undefined) : undefined;
      if (t === undefined) continue;
      text += n++ === 0 ? t : `\n\n${t}`;
    }
    if (n > 0) return text;
  }
  return "";
}

export function thinkingFromReasoning(item: JsonObject): IrThinkingPart | null {
  const text = reasoningText(item);
  const signature = typeof item.encrypted_content === "string" ? item.encrypted_content : undefined;
  if (!signature) return text ? { type: "thinking", text } : null;
  return { type: "thinking", text, signature, signatureFormat: "openai-responses" };
}
