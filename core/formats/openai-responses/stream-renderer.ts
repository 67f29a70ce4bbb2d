/**
 * IR events → a Responses client stream (behaviour.md §4.5 "Responses out"):
 * `response.created` → `response.in_progress` → per block `output_item.added` … `output_item.done` →
 * `response.completed` (or `response.incomplete`) carrying the whole `response` object. Each IR block is one output
 * item: text → message (one `output_text` part), thinking → reasoning (one summary part, `encrypted_content` from the
 * signature), tool_call → function_call. Every frame is `event: <type>\ndata: <json>\n\n` with an increasing
 * `sequence_number` from 0. Any IR sequence renders a well-formed stream: missing `start`/`block_start` are
 * synthesised, blocks left open are closed at the end, and nothing follows the terminal frame.
 */
import type { IrBlock, IrStopReason, IrStreamEvent, IrUsage, RenderContext, StreamRenderer } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import {
  functionCallItem,
  imageItem,
  messageItem,
  outputText,
  reasoningItem,
  type ResponseFields,
  responseObject,
} from "./output-items.ts";
import { newResponseId } from "./response.ts";
import { isCodexClient, streamErrorDetail } from "./stream-error.ts";
import { incompleteReasonOf } from "./usage.ts";

type BlockKind = IrBlock["type"];

/** One open output item; fields declared up front so every instance has one shape. */
class OpenItem {
  readonly kind: BlockKind;
  readonly outputIndex: number;
  readonly itemId: string;
  /** Text, reasoning summary or argument JSON so far. */
  text = "";
  signature = "";
  /** The reasoning summary part has been announced. */
  partOpen = false;
  readonly callId: string;
  readonly name: string;
  readonly data: string;

  constructor(kind: BlockKind, outputIndex: number, itemId: string, callId = "", name = "", data = "") {
    this.kind = kind;
    this.outputIndex = outputIndex;
    this.itemId = itemId;
    this.callId = callId;
    this.name = name;
    this.data = data;
  }
}

function frame(type: string, payload: JsonObject): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export class ResponsesStreamRenderer implements StreamRenderer {
  readonly #model: string;
  readonly #codex: boolean;
  #seq = 0;
  #started = false;
  #done = false;
  #id = "";
  #created = 0;
  #upstreamModel = "";
  #nextOutput = 0;
  readonly #open = new Map<number, OpenItem>();
  /** Finished output items by output index. */
  readonly #output: JsonObject[] = [];
  #stop: IrStopReason | undefined = undefined;
  #usage: IrUsage | undefined = undefined;

  constructor(ctx: RenderContext) {
    this.#model = ctx.model;
    this.#codex = isCodexClient(ctx.userAgent);
  }

  push(e: IrStreamEvent): string {
    if (this.#done) return "";
    switch (e.type) {
      // Hot path first: deltas.
      case "text_delta": {
        if (e.text === "") return "";
        let out = "";
        let item = this.#open.get(e.index);
        if (!item) {
          out = this.#openItem(e.index, { type: "text" });
          item = this.#open.get(e.index)!;
        }
        if (item.kind !== "text") return out;
        item.text += e.text;
        return out + frame("response.output_text.delta", {
          type: "response.output_text.delta",
          sequence_number: this.#seq++,
          item_id: item.itemId,
          output_index: item.outputIndex,
          content_index: 0,
          delta: e.text,
          logprobs: [],
        });
      }
      case "thinking_delta": {
        if (e.text === "") return "";
        let out = "";
        let item = this.#open.get(e.index);
        if (!item) {
          out = this.#openItem(e.index, { type: "thinking" });
          item = this.#open.get(e.index)!;
        }
        if (item.kind !== "thinking") return out;
        if (!item.partOpen) {
          item.partOpen = true;
          out += frame("response.reasoning_summary_part.added", {
            type: "response.reasoning_summary_part.added",
            sequence_number: this.#seq++,
            item_id: item.itemId,
            output_index: item.outputIndex,
            summary_index: 0,
            part: { type: "summary_text", text: "" },
          });
        }
        item.text += e.text;
        return out + frame("response.reasoning_summary_text.delta", {
          type: "response.reasoning_summary_text.delta",
          sequence_number: this.#seq++,
          item_id: item.itemId,
          output_index: item.outputIndex,
          summary_index: 0,
          delta: e.text,
        });
      }
      case "tool_args_delta": {
        const item = this.#open.get(e.index);
        // A tool call without block_start has no id or name to announce: nothing valid can be sent for it.
        if (!item || item.kind !== "tool_call" || e.partialJson === "") return "";
        item.text += e.partialJson;
        return frame("response.function_call_arguments.delta", {
          type: "response.function_call_arguments.delta",
          sequence_number: this.#seq++,
          item_id: item.itemId,
          output_index: item.outputIndex,
          delta: e.partialJson,
        });
      }
      case "signature_delta": {
        let out = "";
        let item = this.#open.get(e.index);
        if (!item) {
          out = this.#openItem(e.index, { type: "thinking" });
          item = this.#open.get(e.index)!;
        }
        if (item.kind === "thinking") item.signature += e.signature;
        return out;
      }
      case "start":
        return this.#start(e.id, e.model, e.created, e.usage);
      case "block_start":
        return this.#open.has(e.index) ? "" : this.#openItem(e.index, e.block);
      case "block_stop": {
        const item = this.#open.get(e.index);
        return item ? this.#close(e.index, item) : "";
      }
      case "finish":
        if (e.stopReason !== undefined) this.#stop = e.stopReason;
        if (e.usage !== undefined) this.#usage = e.usage;
        return "";
      case "end":
        return this.#terminal();
      case "error":
        return this.#error(e.status, e.message, e.errorType);
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  #start(id: string, model: string, created: number, usage: IrUsage | undefined): string {
    if (this.#started) return "";
    this.#started = true;
    this.#id = id || newResponseId();
    this.#created = created || Math.floor(Date.now() / 1000);
    this.#upstreamModel = model;
    if (usage) this.#usage = usage;
    const response = this.#response({ status: "in_progress", output: [] });
    return frame("response.created", { type: "response.created", sequence_number: this.#seq++, response }) +
      frame("response.in_progress", { type: "response.in_progress", sequence_number: this.#seq++, response });
  }

  #response(f: Pick<ResponseFields, "status" | "output" | "usage" | "incompleteReason" | "error">): JsonObject {
    return responseObject({ id: this.#id, created: this.#created, model: this.#model || this.#upstreamModel, ...f });
  }

  #openItem(index: number, block: IrBlock): string {
    const head = this.#started ? "" : this.#start("", "", 0, undefined);
    const n = this.#nextOutput++;
    let item: OpenItem;
    let added: JsonObject;
    switch (block.type) {
      case "text":
        item = new OpenItem("text", n, `msg_${this.#id}_${n}`);
        added = messageItem(item.itemId, "in_progress", []);
        break;
      case "thinking":
        item = new OpenItem("thinking", n, `rs_${this.#id}_${n}`);
        added = reasoningItem(item.itemId, "", "");
        break;
      case "tool_call": {
        const callId = block.id || `call_${this.#id}_${n}`;
        item = new OpenItem("tool_call", n, `fc_${callId}`, callId, block.name);
        added = functionCallItem(callId, block.name, "", "in_progress");
        break;
      }
      case "image":
        item = new OpenItem("image", n, `ig_${this.#id}_${n}`, "", "", block.data);
        added = imageItem(item.itemId, "in_progress", null);
        break;
    }
    this.#open.set(index, item);
    let out = head + frame("response.output_item.added", {
      type: "response.output_item.added",
      sequence_number: this.#seq++,
      output_index: n,
      item: added,
    });
    if (item.kind === "text") {
      out += frame("response.content_part.added", {
        type: "response.content_part.added",
        sequence_number: this.#seq++,
        item_id: item.itemId,
        output_index: n,
        content_index: 0,
        part: outputText(""),
      });
    }
    return out;
  }

  #close(index: number, item: OpenItem): string {
    this.#open.delete(index);
    const base = { item_id: item.itemId, output_index: item.outputIndex };
    let out = "";
    let done: JsonObject;
    switch (item.kind) {
      case "text":
        out = frame("response.output_text.done", {
          type: "response.output_text.done",
          sequence_number: this.#seq++,
          ...base,
          content_index: 0,
          text: item.text,
          logprobs: [],
        }) + frame("response.content_part.done", {
          type: "response.content_part.done",
          sequence_number: this.#seq++,
          ...base,
          content_index: 0,
          part: outputText(item.text),
        });
        done = messageItem(item.itemId, "completed", [outputText(item.text)]);
        break;
      case "thinking":
        if (item.partOpen) {
          out = frame("response.reasoning_summary_text.done", {
            type: "response.reasoning_summary_text.done",
            sequence_number: this.#seq++,
            ...base,
            summary_index: 0,
            text: item.text,
          }) + frame("response.reasoning_summary_part.done", {
            type: "response.reasoning_summary_part.done",
            sequence_number: this.#seq++,
            ...base,
            summary_index: 0,
            part: { type: "summary_text", text: item.text },
          });
        }
        done = reasoningItem(item.itemId, item.text, item.signature);
        break;
      case "tool_call": {
        const args = item.text || "{}";
        out = frame("response.function_call_arguments.done", {
          type: "response.function_call_arguments.done",
          sequence_number: this.#seq++,
          ...base,
          arguments: args,
        });
        done = functionCallItem(item.callId, item.name, args, "completed");
        break;
      }
      case "image":
        done = imageItem(item.itemId, "completed", item.data);
        break;
    }
    this.#output[item.outputIndex] = done;
    return out + frame("response.output_item.done", {
      type: "response.output_item.done",
      sequence_number: this.#seq++,
      output_index: item.outputIndex,
      item: done,
    });
  }

  /** Closes what is still open (in block order), then `response.completed` / `response.incomplete`. */
  #terminal(): string {
    let out = this.#started ? "" : this.#start("", "", 0, undefined);
    if (this.#open.size > 0) {
      for (const index of [...this.#open.keys()].sort((a, b) => a - b)) {
        out += this.#close(index, this.#open.get(index)!);
      }
    }
    this.#done = true;
    const incompleteReason = incompleteReasonOf(this.#stop);
    const output = this.#output.filter((item) => item !== undefined);
    if (incompleteReason) {
      for (const item of output) {
        if (item.type === "message" || item.type === "function_call") item.status = "incomplete";
      }
    }
    const type = incompleteReason ? "response.incomplete" : "response.completed";
    const response = this.#response({
      status: incompleteReason ? "incomplete" : "completed",
      output,
      usage: this.#usage,
      incompleteReason,
    });
    return out + frame(type, { type, sequence_number: this.#seq++, response });
  }

  /**
   * The in-stream error frame (behaviour.md §1.3): `error` with code and message, or for Codex clients a
   * `response.failed` whose response carries the output so far. Nothing is sent after it.
   */
  #error(status: number, message: string, errorType: string | undefined): string {
    this.#done = true;
    const detail = streamErrorDetail(status, message, errorType);
    if (!this.#codex) {
      return frame("error", {
        type: "error",
        code: detail.code,
        message: detail.message,
        sequence_number: this.#seq++,
      });
    }
    if (!this.#started) {
      this.#id = newResponseId();
      this.#created = Math.floor(Date.now() / 1000);
    }
    const response = this.#response({
      status: "failed",
      output: this.#output.filter((item) => item !== undefined),
      usage: this.#usage,
      error: { type: detail.type, code: detail.code, message: detail.message },
    });
    return frame("response.failed", { type: "response.failed", sequence_number: this.#seq++, response });
  }
}
