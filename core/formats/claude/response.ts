/**
 * Claude Messages non-stream response bodies ↔ IR.
 */
import type { IrPart, IrResponse, RenderContext } from "../ir.ts";
import { argumentsObject } from "../ir.ts";
import { isJsonObject, type JsonObject } from "../wire-format.ts";
import { parseContentBlock } from "./request.ts";
import {
  claudeToolId,
  randomId,
  stopReasonFromClaude,
  stopReasonToClaude,
  str,
  usageFromClaudeBody,
  usageToClaude,
} from "./wire.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function parseClaudeResponse(body: JsonObject): IrResponse {
  const content: IrPart[] = [];
  if (Array.isArray(body.content)) {
    for (const b of body.content) {
      // Server tool blocks (server_tool_use, web_search_tool_result, …) have no IR form and are skipped.
      const p = isJsonObject(b) ? parseContentBlock(b) : null;
      if (p && (p.type === "text" || p.type === "thinking" || p.type === "tool_call")) content.push(p);
    }
  }
  const { stop, native } = stopReasonFromClaude(body.stop_reason);
  const ir: Mutable<IrResponse> = {
    id: str(body.id) ?? "",
    model: str(body.model) ?? "",
    // Claude bodies carry no timestamp.
    created: Math.floor(Date.now() / 1000),
    content,
    stopReason: stop,
  };
  if (native !== undefined) ir.nativeStopReason = native;
  const usage = usageFromClaudeBody(body.usage);
  if (usage) ir.usage = usage;
  return ir;
}

export function renderClaudeResponse(ir: IrResponse, ctx: RenderContext): JsonObject {
  const content: JsonObject[] = [];
  let sawToolCall = false;
  for (const p of ir.content) {
    switch (p.type) {
      case "text":
        if (p.text !== "") content.push({ type: "text", text: p.text });
        break;
      case "thinking":
        if (p.redacted) {
          if (p.signature) content.push({ type: "redacted_thinking", data: p.signature });
        } else {
          // A foreign signature (Gemini thoughtSignature) is passed on like CPA does: the client sends it back and
          // the upstream's renderer decides what to do with it. Claude blocks always have the field.
          content.push({ type: "thinking", thinking: p.text, signature: p.signature ?? "" });
        }
        break;
      case "tool_call":
        sawToolCall = true;
        content.push({ type: "tool_use", id: claudeToolId(p.id), name: p.name, input: argumentsObject(p.arguments) });
        break;
        // Images (Gemini output), files and tool results have no place in a Claude assistant message.
    }
  }
  return {
    id: ir.id || randomId("msg_"),
    type: "message",
    role: "assistant",
    model: ctx.model || ir.model,
    content,
    stop_reason: stopReasonToClaude(ir.stopReason, sawToolCall),
    stop_sequence: null,
    usage: usageToClaude(ir.usage),
  };
}
