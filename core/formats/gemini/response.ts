/**
 * Gemini `GenerateContentResponse` ↔ IR (non-streaming). Only the first candidate maps: the IR holds one message.
 */
import type { IrPart, IrResponse, RenderContext } from "../ir.ts";
import { argumentsObject } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { arrayAt, objectAt, stringAt } from "./fields.ts";
import { mediaToPart, readModelParts } from "./parts.ts";
import { finishReasonFromStop, metadataFromUsage, stopReasonFromFinish, usageFromMetadata } from "./usage.ts";

const ID_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * An id for a function call Gemini sent without one: `<name>-<n>` as CPA makes them, with the response id between
 * so ids stay unique across the turns of a conversation (Claude rejects repeated tool_use ids), and limited to the
 * characters every client format accepts in an id.
 */
export function generatedCallId(name: string, responseId: string, n: number): string {
  const id = responseId !== "" ? `${name}-${responseId}-${n}` : `${name}-${n}`;
  return id.replace(ID_UNSAFE, "_");
}

/** `createTime` (Vertex) as Unix seconds, else now. */
export function createdSeconds(body: JsonObject): number {
  const t = stringAt(body, "createTime", "create_time");
  const ms = t !== undefined ? Date.parse(t) : NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

/** The candidate the IR follows: index 0 (an absent index is 0). */
export function firstCandidate(body: JsonObject): JsonObject | undefined {
  for (const c of arrayAt(body, "candidates", "candidates") ?? []) {
    if (isJsonObject(c) && (c.index === undefined || c.index === 0)) return c;
  }
  return undefined;
}

/** Why the answer ended: the candidate's `finishReason`, or the prompt's `blockReason` when it was refused outright. */
export function finishReasonOf(body: JsonObject, candidate: JsonObject | undefined): string | undefined {
  const reason = candidate && stringAt(candidate, "finishReason", "finish_reason");
  if (reason !== undefined && reason !== "") return reason;
  const feedback = objectAt(body, "promptFeedback", "prompt_feedback");
  const blocked = feedback && stringAt(feedback, "blockReason", "block_reason");
  return blocked !== undefined && blocked !== "" ? blocked : undefined;
}

export function parseResponse(body: JsonObject): IrResponse {
  const id = stringAt(body, "responseId", "response_id") ?? "";
  const candidate = firstCandidate(body);
  const content = candidate && objectAt(candidate, "content", "content");
  let calls = 0;
  const parts = readModelParts(
    content && Array.isArray(content.parts) ? content.parts : [],
    (name, callId) => callId ?? generatedCallId(name, id, ++calls),
  );
  const sawToolCall = parts.some((p) => p.type === "tool_call");
  const reason = finishReasonOf(body, candidate);
  const ir: { -readonly [K in keyof IrResponse]: IrResponse[K] } = {
    id,
    model: stringAt(body, "modelVersion", "model_version") ?? "",
    created: createdSeconds(body),
    content: parts,
    stopReason: reason !== undefined ? stopReasonFromFinish(reason, sawToolCall) : sawToolCall ? "tool_use" : null,
  };
  if (reason !== undefined) ir.nativeStopReason = reason.toLowerCase();
  const usage = objectAt(body, "usageMetadata", "usage_metadata");
  if (usage) ir.usage = usageFromMetadata(usage);
  return ir;
}

/** An IR part as a part of a Gemini answer (thinking with a foreign signature goes out unsigned). */
export function answerPart(p: IrPart): JsonObject | null {
  switch (p.type) {
    case "text":
      return { text: p.text };
    case "thinking":
      if (p.redacted) return null;
      if (p.signature && p.signatureFormat === "gemini") {
        return { text: p.text, thought: true, thoughtSignature: p.signature };
      }
      return p.text !== "" ? { text: p.text, thought: true } : null;
    case "tool_call": {
      const call: JsonObject = { name: p.name, args: argumentsObject(p.arguments) };
      // Gemini clients (Gemini CLI) echo the id in their functionResponse, which keeps the pairing exact.
      if (p.id !== "") call.id = p.id;
      return p.signature ? { functionCall: call, thoughtSignature: p.signature } : { functionCall: call };
    }
    case "image":
    case "file":
      return mediaToPart(p.source);
    case "tool_result":
      return null;
  }
}

export function renderResponse(ir: IrResponse, ctx: RenderContext): JsonObject {
  const parts: JsonValue[] = [];
  for (const p of ir.content) {
    const part = answerPart(p);
    if (part) parts.push(part);
  }
  const body: JsonObject = {
    candidates: [{
      content: { parts, role: "model" },
      finishReason: finishReasonFromStop(ir.stopReason, ir.nativeStopReason),
      index: 0,
    }],
  };
  if (ir.usage) body.usageMetadata = metadataFromUsage(ir.usage);
  body.modelVersion = ctx.model || ir.model;
  body.responseId = ir.id;
  return body;
}
