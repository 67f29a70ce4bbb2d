/**
 * Local token estimates for `count_tokens` / `countTokens` when the upstream has no counter of its own (OpenAI-
 * compatible upstreams; CLIProxyAPI computes these locally too). About four characters of text per token, plus a
 * small per-message overhead: an estimate, stable and cheap, never sent upstream.
 */
import type { IrPart, IrRequest } from "./ir.ts";
import type { JsonObject, WireFormat } from "./wire-format.ts";

const CHARS_PER_TOKEN = 4;
const PER_MESSAGE = 3;
/** Images cost a fixed amount whatever their size in this estimate. */
const PER_IMAGE = 85;

function partChars(p: IrPart): number {
  switch (p.type) {
    case "text":
    case "thinking":
      return p.text.length;
    case "tool_call":
      return p.name.length + p.arguments.length;
    case "tool_result":
      return typeof p.content === "string" ? p.content.length : p.content.reduce((n, c) => n + partChars(c), 0);
    case "image":
      return PER_IMAGE * CHARS_PER_TOKEN;
    case "file":
      return 0;
  }
}

export function estimateInputTokens(ir: IrRequest): number {
  let chars = 0;
  let messages = 0;
  for (const s of ir.system) chars += s.text.length;
  for (const m of ir.messages) {
    messages++;
    for (const p of m.content) chars += partChars(p);
  }
  for (const t of ir.tools) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN) + messages * PER_MESSAGE);
}

/** The count answer in the client's format. */
export function countTokensBody(format: WireFormat, tokens: number): JsonObject {
  if (format === "gemini") {
    return { totalTokens: tokens, promptTokensDetails: [{ modality: "TEXT", tokenCount: tokens }] };
  }
  return { input_tokens: tokens };
}
