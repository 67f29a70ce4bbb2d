/**
 * The `response` object and its output items, as the real API shapes them. Shared by the non-stream renderer, the
 * stream renderer (item `.done` events and the terminal `response.completed`) and nothing else.
 */
import type { IrUsage } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { responsesUsage } from "./usage.ts";

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export function outputText(text: string): JsonObject {
  return { type: "output_text", annotations: [], logprobs: [], text };
}

export function messageItem(id: string, status: ItemStatus, content: JsonObject[]): JsonObject {
  return { id, type: "message", status, content, role: "assistant" };
}

export function functionCallItem(callId: string, name: string, args: string, status: ItemStatus): JsonObject {
  return { id: `fc_${callId}`, type: "function_call", status, arguments: args, call_id: callId, name };
}

/** `encrypted_content` only when there is one, as the API does without `include: ["reasoning.encrypted_content"]`. */
export function reasoningItem(id: string, text: string, signature: string): JsonObject {
  const item: JsonObject = { id, type: "reasoning", summary: text === "" ? [] : [{ type: "summary_text", text }] };
  if (signature !== "") item.encrypted_content = signature;
  return item;
}

/** A generated image (Gemini `inlineData` output): the Responses image-generation item carries it as base64. */
export function imageItem(id: string, status: ItemStatus, data: string | null): JsonObject {
  return { id, type: "image_generation_call", status, result: data };
}

export interface ResponseFields {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly status: "in_progress" | "completed" | "incomplete" | "failed";
  readonly output: JsonObject[];
  readonly usage?: IrUsage;
  readonly incompleteReason?: string | null;
  readonly error?: JsonObject;
}

export function responseObject(f: ResponseFields): JsonObject {
  return {
    id: f.id,
    object: "response",
    created_at: f.created,
    status: f.status,
    error: f.error ?? null,
    incomplete_details: f.incompleteReason ? { reason: f.incompleteReason } : null,
    model: f.model,
    output: f.output,
    usage: f.usage ? responsesUsage(f.usage) : null,
  };
}
