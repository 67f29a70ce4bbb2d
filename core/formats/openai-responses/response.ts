/** Non-stream Responses answers (`response` objects) ↔ IR. */
import type { IrPart, IrResponse, RenderContext } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { thinkingFromReasoning } from "./reasoning-item.ts";
import {
  functionCallItem,
  imageItem,
  type ItemStatus,
  messageItem,
  outputText,
  reasoningItem,
  responseObject,
} from "./output-items.ts";
import { incompleteReasonOf, irUsageFromResponses, stopReasonOf } from "./usage.ts";

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A fresh response id, for IR responses whose source had none. */
export function newResponseId(): string {
  return `resp_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * A `response` object → IR. Also accepts a terminal event wrapping it (`{"type":"response.completed","response":…}`),
 * which is what a Codex upstream's non-stream answer is made of.
 */
export function parseResponsesResponse(body: JsonObject): IrResponse {
  const r = isJsonObject(body.response) && typeof body.type === "string" ? body.response : body;
  const content: IrPart[] = [];
  let calledTool = false;
  let refused = false;
  const output = Array.isArray(r.output) ? r.output : [];
  for (const item of output) {
    if (!isJsonObject(item)) continue;
    switch (item.type) {
      case "message":
        if (!Array.isArray(item.content)) break;
        for (const c of item.content) {
          if (!isJsonObject(c)) continue;
          const text = c.type === "output_text" ? str(c.text) : c.type === "refusal" ? str(c.refusal) : undefined;
          if (c.type === "refusal") refused = true;
          if (text) content.push({ type: "text", text });
        }
        break;
      case "function_call":
      case "custom_tool_call": {
        calledTool = true;
        const args = item.type === "function_call"
          ? (typeof item.arguments === "string" && item.arguments !== "" ? item.arguments : "{}")
          : JSON.stringify({ input: str(item.input) ?? "" });
        content.push({
          type: "tool_call",
          id: str(item.call_id) ?? str(item.id) ?? "",
          name: str(item.name) ?? "",
          arguments: args,
        });
        break;
      }
      case "reasoning": {
        const part = thinkingFromReasoning(item);
        if (part) content.push(part);
        break;
      }
      case "image_generation_call": {
        const data = str(item.result);
        const format = str(item.output_format) ?? "png";
        if (data) content.push({ type: "image", source: { kind: "base64", mediaType: `image/${format}`, data } });
        break;
      }
    }
  }
  const incomplete = isJsonObject(r.incomplete_details) ? str(r.incomplete_details.reason) : undefined;
  let stopReason = stopReasonOf(str(r.status), incomplete, calledTool);
  if (refused && stopReason === "end_turn") stopReason = "refusal";
  const ir: { -readonly [K in keyof IrResponse]: IrResponse[K] } = {
    id: str(r.id) ?? "",
    model: str(r.model) ?? "",
    created: typeof r.created_at === "number" ? r.created_at : 0,
    content,
    stopReason,
  };
  const usage = irUsageFromResponses(r.usage);
  if (usage) ir.usage = usage;
  return ir;
}

/** Output items for IR content; consecutive text parts share one message item, as the API groups them. */
export function outputItems(id: string, content: readonly IrPart[], status: ItemStatus): JsonObject[] {
  const output: JsonObject[] = [];
  let message: JsonObject[] | null = null;
  for (const p of content) {
    if (p.type === "text") {
      if (message === null) {
        message = [];
        output.push(messageItem(`msg_${id}_${output.length}`, status, message));
      }
      message.push(outputText(p.text));
      continue;
    }
    message = null;
    switch (p.type) {
      case "thinking":
        output.push(reasoningItem(`rs_${id}_${output.length}`, p.text, p.signature ?? ""));
        break;
      case "tool_call":
        output.push(functionCallItem(p.id, p.name, p.arguments || "{}", status));
        break;
      case "image":
        if (p.source.kind === "base64") output.push(imageItem(`ig_${id}_${output.length}`, "completed", p.source.data));
        break;
        // Files and tool results never appear in an assistant answer.
    }
  }
  return output;
}

/** IR → a `response` object. Request echo fields (tools, instructions, …) are not known here and are left out. */
export function renderResponsesResponse(ir: IrResponse, ctx: RenderContext): JsonObject {
  const id = ir.id || newResponseId();
  const incompleteReason = incompleteReasonOf(ir.stopReason);
  return responseObject({
    id,
    created: ir.created,
    model: ctx.model || ir.model,
    status: incompleteReason ? "incomplete" : "completed",
    output: outputItems(id, ir.content, incompleteReason ? "incomplete" : "completed"),
    usage: ir.usage,
    incompleteReason,
  });
}
