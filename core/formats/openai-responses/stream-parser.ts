/**
 * Responses upstream stream (`event: response.*`) → IR events. Items are tracked by `output_index` (and `item_id`):
 * a message's content parts become text blocks, a function call one tool_call block, a reasoning item one thinking
 * block (summary parts joined by a blank line, `encrypted_content` as its signature). Upstreams that skip the deltas
 * and only send `.done` events or a filled `response.completed` are covered from those.
 */
import type { IrBlock, IrStreamEvent, StreamParser } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { reasoningText } from "./reasoning-item.ts";
import { parseResponsesResponse } from "./response.ts";
import { errorStatus } from "./stream-error.ts";
import { irUsageFromResponses, stopReasonOf } from "./usage.ts";

type Emit = (e: IrStreamEvent) => void;
type ItemKind = "message" | "function_call" | "custom_tool_call" | "reasoning" | "other";

/** Per output item; all fields declared up front so every instance has one shape. */
class ItemState {
  readonly kind: ItemKind;
  /** IR index of the item's open block, -1 when none is open. */
  block = -1;
  /** Some text, thinking or argument text of this item reached the IR. */
  emitted = false;
  /** The current content/summary part produced text (its `.done` then carries nothing new). */
  partEmitted = false;
  /** Content or summary parts started so far. */
  parts = 0;
  callId = "";
  name = "";

  constructor(kind: ItemKind) {
    this.kind = kind;
  }
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function itemKind(type: JsonValue | undefined): ItemKind {
  return type === "message" || type === "function_call" || type === "custom_tool_call" || type === "reasoning"
    ? type
    : "other";
}

export class ResponsesStreamParser implements StreamParser {
  #started = false;
  #done = false;
  #nextBlock = 0;
  /** Items with an open block, for the terminal sweep (an item may have lost its map keys to a later one). */
  readonly #open = new Set<ItemState>();
  #anyBlock = false;
  #calledTool = false;
  #refused = false;
  readonly #items = new Map<number | string, ItemState>();

  push(event: string | undefined, data: string, emit: Emit): void {
    if (this.#done || data === "" || data === "[DONE]") return;
    let msg: JsonValue;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // not an event (keep-alive text, a proxy's banner)
    }
    if (!isJsonObject(msg)) return;
    const type = str(msg.type) ?? event ?? "";
    switch (type) {
      // Hot path first: deltas.
      case "response.output_text.delta":
      case "response.refusal.delta":
        return this.#textDelta(msg, str(msg.delta) ?? "", emit);
      case "response.function_call_arguments.delta":
        return this.#argsDelta(msg, emit);
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return this.#thinkingDelta(msg, str(msg.delta) ?? "", emit);

      case "response.created":
      case "response.queued":
      case "response.in_progress":
        return this.#start(msg.response, emit);
      case "response.output_item.added":
        return this.#itemAdded(msg, emit);
      case "response.output_item.done":
        return this.#itemDone(msg, emit);
      case "response.content_part.added":
        return this.#partAdded(msg, emit);
      case "response.output_text.done":
      case "response.refusal.done":
        return this.#partText(msg, str(msg.text) ?? str(msg.refusal) ?? "", emit);
      case "response.content_part.done": {
        const part = isJsonObject(msg.part) ? msg.part : {};
        this.#partText(msg, str(part.text) ?? str(part.refusal) ?? "", emit);
        const item = this.#item(msg);
        if (item?.kind === "message") this.#closeBlock(item, emit);
        return;
      }
      case "response.function_call_arguments.done":
        return this.#argsDone(msg, emit);
      case "response.reasoning_summary_part.added":
        return this.#summaryPart(msg, emit);
      case "response.reasoning_summary_text.done":
      case "response.reasoning_text.done":
        return this.#thinkingDone(msg, str(msg.text) ?? "", emit);

      case "response.completed":
      case "response.incomplete":
      case "response.done":
        return this.#finish(isJsonObject(msg.response) ? msg.response : {}, type === "response.incomplete", emit);
      case "response.failed": {
        const response = isJsonObject(msg.response) ? msg.response : {};
        return this.#fail(isJsonObject(response.error) ? response.error : {}, emit);
      }
      case "error":
      case "response.error":
        return this.#fail(isJsonObject(msg.error) ? { ...msg, ...msg.error } : msg, emit);
    }
  }

  /** Responses always ends with a terminal event; a stream cut short emits nothing more (the pipeline reports it). */
  end(_emit: Emit): void {}

  // -------------------------------------------------------------------------------------------------------------

  #start(response: JsonValue | undefined, emit: Emit): void {
    if (this.#started) return;
    this.#started = true;
    const r = isJsonObject(response) ? response : {};
    emit({
      type: "start",
      id: str(r.id) ?? "",
      model: str(r.model) ?? "",
      created: typeof r.created_at === "number" ? r.created_at : 0,
    });
  }

  #item(msg: JsonObject): ItemState | undefined {
    const byIndex = typeof msg.output_index === "number" ? this.#items.get(msg.output_index) : undefined;
    if (byIndex) return byIndex;
    const id = str(msg.item_id);
    return id !== undefined ? this.#items.get(id) : undefined;
  }

  #register(msg: JsonObject, item: JsonObject | undefined, kind: ItemKind): ItemState {
    const state = new ItemState(kind);
    if (typeof msg.output_index === "number") this.#items.set(msg.output_index, state);
    const id = str(item?.id) ?? str(msg.item_id);
    if (id !== undefined) this.#items.set(id, state);
    return state;
  }

  /** The item an event is about, created when the upstream skipped its `output_item.added`. */
  #itemOf(msg: JsonObject, kind: ItemKind): ItemState {
    const found = this.#item(msg);
    return found && found.kind === kind ? found : this.#register(msg, undefined, kind);
  }

  #openBlock(item: ItemState, block: IrBlock, emit: Emit): void {
    if (!this.#started) this.#start(undefined, emit);
    item.block = this.#nextBlock++;
    this.#open.add(item);
    this.#anyBlock = true;
    emit({ type: "block_start", index: item.block, block });
  }

  #closeBlock(item: ItemState, emit: Emit): void {
    if (item.block < 0) return;
    emit({ type: "block_stop", index: item.block });
    item.block = -1;
    this.#open.delete(item);
  }

  #itemAdded(msg: JsonObject, emit: Emit): void {
    const item = isJsonObject(msg.item) ? msg.item : {};
    const state = this.#register(msg, item, itemKind(item.type));
    if (state.kind === "function_call" || state.kind === "custom_tool_call") {
      this.#calledTool = true;
      state.callId = str(item.call_id) ?? str(item.id) ?? "";
      state.name = str(item.name) ?? "";
      this.#openBlock(state, { type: "tool_call", id: state.callId, name: state.name }, emit);
      const args = str(item.arguments);
      if (state.kind === "function_call" && args) {
        state.emitted = true;
        emit({ type: "tool_args_delta", index: state.block, partialJson: args });
      }
    }
    // Messages open a text block per content part; reasoning opens when it has text or a signature.
  }

  #partAdded(msg: JsonObject, emit: Emit): void {
    const part = isJsonObject(msg.part) ? msg.part : {};
    if (part.type !== "output_text" && part.type !== "refusal") return;
    if (part.type === "refusal") this.#refused = true;
    const item = this.#itemOf(msg, "message");
    this.#closeBlock(item, emit);
    item.parts++;
    item.partEmitted = false;
    this.#openBlock(item, { type: "text" }, emit);
  }

  #textDelta(msg: JsonObject, text: string, emit: Emit): void {
    if (msg.type === "response.refusal.delta") this.#refused = true;
    this.#text(this.#itemOf(msg, "message"), text, emit);
  }

  #text(item: ItemState, text: string, emit: Emit): void {
    if (item.block < 0) this.#openBlock(item, { type: "text" }, emit);
    if (text === "") return;
    item.emitted = item.partEmitted = true;
    emit({ type: "text_delta", index: item.block, text });
  }

  /** A part's final text, used only when no delta of that part arrived. */
  #partText(msg: JsonObject, text: string, emit: Emit): void {
    const item = this.#item(msg);
    if (item?.kind !== "message" || item.partEmitted || text === "") return;
    this.#text(item, text, emit);
  }

  #argsDelta(msg: JsonObject, emit: Emit): void {
    const item = this.#item(msg);
    const delta = str(msg.delta);
    // Without `output_item.added` there is no name yet: `output_item.done` will carry the whole call.
    if (item?.kind !== "function_call" || item.block < 0 || !delta) return;
    item.emitted = true;
    emit({ type: "tool_args_delta", index: item.block, partialJson: delta });
  }

  #argsDone(msg: JsonObject, emit: Emit): void {
    const item = this.#item(msg);
    const args = str(msg.arguments);
    if (item?.kind !== "function_call" || item.block < 0 || item.emitted || !args) return;
    item.emitted = true;
    emit({ type: "tool_args_delta", index: item.block, partialJson: args });
  }

  #summaryPart(msg: JsonObject, emit: Emit): void {
    const item = this.#itemOf(msg, "reasoning");
    if (item.block < 0) this.#openBlock(item, { type: "thinking" }, emit);
    // One reasoning item is one thinking block (its signature covers all parts): parts are separated by a blank line.
    if (item.parts > 0 && item.emitted) emit({ type: "thinking_delta", index: item.block, text: "\n\n" });
    item.parts++;
    item.partEmitted = false;
  }

  #thinkingDelta(msg: JsonObject, text: string, emit: Emit): void {
    if (text !== "") this.#thinking(this.#itemOf(msg, "reasoning"), text, emit);
  }

  #thinking(item: ItemState, text: string, emit: Emit): void {
    if (item.block < 0) this.#openBlock(item, { type: "thinking" }, emit);
    item.emitted = item.partEmitted = true;
    emit({ type: "thinking_delta", index: item.block, text });
  }

  #thinkingDone(msg: JsonObject, text: string, emit: Emit): void {
    const item = this.#item(msg);
    if (item?.kind !== "reasoning" || item.partEmitted || text === "") return;
    this.#thinking(item, text, emit);
  }

  #itemDone(msg: JsonObject, emit: Emit): void {
    const item = isJsonObject(msg.item) ? msg.item : {};
    const kind = itemKind(item.type);
    const found = this.#item(msg);
    const state = found && found.kind === kind ? found : this.#register(msg, item, kind);
    switch (kind) {
      case "message":
        if (!state.emitted && Array.isArray(item.content)) {
          // Nothing was streamed: each text part becomes a block (the first reuses a block left open and empty).
          let reuse = state.block >= 0;
          for (const c of item.content) {
            if (!isJsonObject(c)) continue;
            const text = c.type === "output_text" ? str(c.text) : c.type === "refusal" ? str(c.refusal) : undefined;
            if (c.type === "refusal") this.#refused = true;
            if (!text) continue;
            if (!reuse) this.#closeBlock(state, emit);
            reuse = false;
            this.#text(state, text, emit);
          }
        }
        break;
      case "function_call":
      case "custom_tool_call": {
        this.#calledTool = true;
        if (state.block < 0 && !state.emitted) {
          state.callId = str(item.call_id) ?? str(item.id) ?? "";
          state.name = str(item.name) ?? "";
          this.#openBlock(state, { type: "tool_call", id: state.callId, name: state.name }, emit);
        }
        const args = kind === "function_call" ? str(item.arguments) : JSON.stringify({ input: str(item.input) ?? "" });
        if (state.block >= 0 && !state.emitted && args) {
          emit({ type: "tool_args_delta", index: state.block, partialJson: args });
        }
        state.emitted = true;
        break;
      }
      case "reasoning": {
        if (!state.emitted) {
          const text = reasoningText(item);
          if (text !== "") this.#thinking(state, text, emit);
        }
        const signature = str(item.encrypted_content);
        if (signature) {
          if (state.block < 0) this.#openBlock(state, { type: "thinking" }, emit);
          emit({ type: "signature_delta", index: state.block, signature });
        }
        break;
      }
    }
    this.#closeBlock(state, emit);
  }

  #finish(response: JsonObject, incompleteEvent: boolean, emit: Emit): void {
    this.#start(response, emit);
    if (this.#open.size > 0) {
      // Close what the upstream left open, in block order.
      for (const item of [...this.#open].sort((a, b) => a.block - b.block)) this.#closeBlock(item, emit);
    }
    const ir = parseResponsesResponse(response);
    if (!this.#anyBlock) this.#backfill(ir.content, emit);
    const calledTool = this.#calledTool || ir.content.some((p) => p.type === "tool_call");
    const status = str(response.status) ?? (incompleteEvent ? "incomplete" : "completed");
    const incomplete = isJsonObject(response.incomplete_details) ? str(response.incomplete_details.reason) : undefined;
    let stopReason = stopReasonOf(status, incomplete, calledTool) ?? "end_turn";
    if (this.#refused && stopReason === "end_turn") stopReason = "refusal";
    const usage = irUsageFromResponses(response.usage);
    emit(usage ? { type: "finish", stopReason, usage } : { type: "finish", stopReason });
    emit({ type: "end" });
    this.#done = true;
  }

  /** A terminal response whose items were never streamed: replay its output as blocks. */
  #backfill(content: ReturnType<typeof parseResponsesResponse>["content"], emit: Emit): void {
    for (const p of content) {
      const index = this.#nextBlock++;
      switch (p.type) {
        case "text":
          emit({ type: "block_start", index, block: { type: "text" } });
          emit({ type: "text_delta", index, text: p.text });
          break;
        case "thinking":
          emit({ type: "block_start", index, block: { type: "thinking" } });
          if (p.text !== "") emit({ type: "thinking_delta", index, text: p.text });
          if (p.signature) emit({ type: "signature_delta", index, signature: p.signature });
          break;
        case "tool_call":
          emit({ type: "block_start", index, block: { type: "tool_call", id: p.id, name: p.name } });
          emit({ type: "tool_args_delta", index, partialJson: p.arguments });
          break;
        case "image":
          if (p.source.kind !== "base64") continue;
          emit({
            type: "block_start",
            index,
            block: { type: "image", mediaType: p.source.mediaType, data: p.source.data },
          });
          break;
        default:
          continue;
      }
      emit({ type: "block_stop", index });
    }
  }

  #fail(err: JsonObject, emit: Emit): void {
    const message = str(err.message) || str(err.code) || "Upstream stream failed";
    const type = str(err.type);
    const status = errorStatus(err);
    emit(
      type !== undefined && type !== "error"
        ? { type: "error", status, message, errorType: type }
        : { type: "error", status, message },
    );
    this.#done = true;
  }
}
