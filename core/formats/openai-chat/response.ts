/** `chat.completion` body ↔ IR response. */
import type { IrImagePart, IrPart, IrResponse, IrToolCallPart, RenderContext } from "../ir.ts";
import type { JsonObject, JsonValue } from "../wire-format.ts";
import { argumentsText, arr, type Mutable, nowSeconds, num, obj, randomId, str } from "./json.ts";
import { sourceFromUrl, urlFromSource, urlOf } from "./media.ts";
import { contentParts } from "./content.ts";
import { finishReasonToOpenAI, stopReasonFromOpenAI } from "./stop-reason.ts";
import { usageFromOpenAI, usageToOpenAI } from "./usage.ts";

/** The first choice: the IR holds one answer (`n > 1` answers beyond the first are not translated). */
export function firstChoice(body: JsonObject): JsonObject | undefined {
  const choices = arr(body.choices);
  if (!choices) return undefined;
  for (const c of choices) {
    const o = obj(c);
    if (o && (o.index === undefined || o.index === 0)) return o;
  }
  return obj(choices[0]);
}

export function parseChatResponse(body: JsonObject): IrResponse {
  const choice = firstChoice(body);
  const message = choice && obj(choice.message);
  const content: IrPart[] = [];
  let sawToolCall = false;
  if (message) {
    const reasoning = str(message.reasoning_content) || str(message.reasoning);
    if (reasoning) content.push({ type: "thinking", text: reasoning });
    // Some compatible servers answer with an array of parts, reasoning among them.
    for (const p of arr(message.content) ?? []) {
      const o = obj(p);
      const text = o && (o.type === "reasoning" || o.type === "thinking") ? str(o.text) ?? str(o.thinking) : undefined;
      if (text) content.push({ type: "thinking", text });
    }
    contentParts(message.content, content);
    const refusal = str(message.refusal);
    if (refusal && !content.some((p) => p.type === "text")) content.push({ type: "text", text: refusal });
    for (const img of arr(message.images) ?? []) {
      const part = imagePart(img);
      if (part) content.push(part);
    }
    for (const tc of arr(message.tool_calls) ?? []) {
      const part = toolCall(obj(tc));
      if (part) content.push(part);
    }
    const fc = obj(message.function_call);
    const fcName = fc && str(fc.name);
    if (fc && fcName) {
      content.push({
        type: "tool_call",
        id: randomId("call_"),
        name: fcName,
        arguments: argumentsText(fc.arguments) || "{}",
      });
    }
    sawToolCall = content.some((p) => p.type === "tool_call");
  }
  const reason = choice && str(choice.finish_reason);
  const out: Mutable<IrResponse> = {
    id: str(body.id) ?? "",
    model: str(body.model) ?? "",
    created: num(body.created) ?? nowSeconds(),
    content,
    stopReason: reason ? stopReasonFromOpenAI(reason, sawToolCall) : sawToolCall ? "tool_use" : null,
  };
  const usage = obj(body.usage);
  if (usage) out.usage = usageFromOpenAI(usage);
  return out;
}

function toolCall(tc: JsonObject | undefined): IrToolCallPart | null {
  const fn = tc && obj(tc.function);
  const name = fn && str(fn.name);
  if (!tc || !fn || !name) return null;
  return {
    type: "tool_call",
    id: str(tc.id) || randomId("call_"),
    name,
    arguments: argumentsText(fn.arguments) || "{}",
  };
}

/** `{type:"image_url",image_url:{url}}` (OpenRouter / CLIProxyAPI image output) → an image part. */
function imagePart(v: JsonValue): IrImagePart | null {
  const url = urlOf(obj(v)?.image_url);
  return url ? { type: "image", source: sourceFromUrl(url) } : null;
}

/** An image as an entry of Chat's `images[]` (the shape CLIProxyAPI gives Gemini image output). */
export function imageEntry(url: string, index: number): JsonObject {
  return { type: "image_url", image_url: { url }, index };
}

export function renderChatResponse(ir: IrResponse, ctx: RenderContext): JsonObject {
  let text = "";
  let reasoning = "";
  let hasText = false;
  const toolCalls: JsonObject[] = [];
  const images: JsonObject[] = [];
  for (const p of ir.content) {
    switch (p.type) {
      case "text":
        text += p.text;
        hasText = true;
        break;
      case "thinking":
        // Deltas of one stream concatenate; separate blocks do too, matching what the stream renderer sends.
        if (!p.redacted) reasoning += p.text;
        break;
      case "tool_call":
        toolCalls.push({ id: p.id, type: "function", function: { name: p.name, arguments: p.arguments || "{}" } });
        break;
      case "image": {
        const url = urlFromSource(p.source);
        if (url) images.push(imageEntry(url, images.length));
        break;
      }
    }
  }
  const message: JsonObject = {
    role: "assistant",
    // OpenAI sends null content beside tool calls and a string otherwise.
    content: hasText ? text : toolCalls.length > 0 ? null : "",
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (images.length > 0) message.images = images;
  const choice: JsonObject = {
    index: 0,
    message,
    finish_reason: finishReasonToOpenAI(ir.stopReason, toolCalls.length > 0, ir.nativeStopReason !== undefined),
  };
  if (ir.nativeStopReason !== undefined) choice.native_finish_reason = ir.nativeStopReason;
  return {
    id: ir.id || randomId("chatcmpl-"),
    object: "chat.completion",
    created: ir.created,
    model: ctx.model || ir.model,
    choices: [choice],
    // OpenAI always reports usage on a complete answer.
    usage: usageToOpenAI(ir.usage ?? { input: 0, output: 0 }),
  };
}
