/**
 * IR stream events → Chat Completions (or legacy Completions) SSE for the client.
 *
 * Every frame is `data: <chunk>\n\n`; the stream ends with exactly `data: [DONE]\n\n`, or with the error envelope
 * and no `[DONE]` (behaviour.md §1.3). Chunk text is assembled from a per-stream head string plus one
 * `JSON.stringify` of the event's payload, so a content delta costs one small serialisation.
 *
 * Tool calls follow CLIProxyAPI (§4.5, vector 19): arguments are gathered and the call is sent once, when its block
 * stops, as `tool_calls[0]` with `index` = the IR block index and the full argument text (`"{}"` when empty).
 */
import type { IrStopReason, IrStreamEvent, IrUsage, RenderContext, StreamRenderer } from "../ir.ts";
import { openAIErrorBody } from "../error-envelope.ts";
import { ProxyError } from "../../http/proxy-error.ts";
import { nowSeconds, randomId } from "./json.ts";
import { completionsFinishReason, finishReasonToOpenAI } from "./stop-reason.ts";
import { usageToOpenAI } from "./usage.ts";

const DONE = "data: [DONE]\n\n";

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

export class ChatStreamRenderer implements StreamRenderer {
  /** Legacy Completions: `text_completion` chunks with `choices[].text`, no role, reasoning or tool calls. */
  readonly #legacy: boolean;
  readonly #model: string;
  /** `data: {"id":…,"choices":[{"index":0,"delta":` (or `"text":`), fixed once the stream starts. */
  #head = "";
  /** What follows the payload in an unfinished chunk. */
  readonly #open: string;
  /** Ended (`[DONE]` sent) or failed (error frame sent): nothing more is written. */
  #closed = false;
  readonly #calls = new Map<number, PendingCall>();
  #callsSent = 0;
  #images = 0;
  /** The last finish_reason sent, null before the first. */
  #finishReason: string | null = null;
  #native: string | undefined;
  /** Usage waiting for the finish_reason it is sent with. */
  #usage: IrUsage | undefined;

  constructor(ctx: RenderContext, legacy = false) {
    this.#legacy = legacy;
    this.#model = ctx.model;
    this.#open = legacy ? ',"logprobs":null,"finish_reason":null}]}\n\n' : ',"finish_reason":null}]}\n\n';
  }

  push(e: IrStreamEvent): string {
    if (this.#closed) return "";
    switch (e.type) {
      case "start":
        if (this.#head) return "";
        return this.#begin(e.id, e.created, e.model, e.usage);
      case "text_delta": {
        if (e.text === "") return "";
        // Fast path: the head, one stringified string, the fixed tail.
        const payload = this.#legacy ? JSON.stringify(e.text) : `{"content":${JSON.stringify(e.text)}}`;
        return this.#ensureHead() + this.#head + payload + this.#open;
      }
      case "thinking_delta":
        if (this.#legacy || e.text === "") return "";
        return this.#ensureHead() + this.#head + `{"reasoning_content":${JSON.stringify(e.text)}}` + this.#open;
      case "block_start": {
        const b = e.block;
        if (b.type === "tool_call") {
          this.#calls.set(e.index, { id: b.id, name: b.name, args: "" });
          return "";
        }
        if (b.type !== "image" || this.#legacy) return "";
        const image = {
          type: "image_url",
          image_url: { url: `data:${b.mediaType};base64,${b.data}` },
          index: this.#images++,
        };
        return this.#ensureHead() + this.#head + JSON.stringify({ images: [image] }) + this.#open;
      }
      case "tool_args_delta": {
        const call = this.#calls.get(e.index);
        if (call) call.args += e.partialJson;
        return "";
      }
      case "block_stop": {
        const call = this.#calls.get(e.index);
        if (!call) return "";
        this.#calls.delete(e.index);
        return this.#callChunk(e.index, call);
      }
      case "signature_delta":
        return ""; // Chat has no place for thinking signatures
      case "finish":
        return this.#finish(e.stopReason, e.nativeStopReason, e.usage);
      case "error":
        this.#closed = true;
        return `data: ${
          openAIErrorBody(new ProxyError(e.status, "upstream_stream_error", e.message, { type: e.errorType }))
        }\n\n`;
      case "end": {
        // A well-formed stream has a finish_reason even when the source never said why it stopped.
        let out = this.#flushCalls();
        if (this.#finishReason === null) out += this.#finish("end_turn", undefined, undefined);
        this.#closed = true;
        return out + DONE;
      }
    }
    return "";
  }

  #begin(id: string, created: number, model: string, usage: IrUsage | undefined): string {
    if (usage) this.#usage = usage;
    const object = this.#legacy ? "text_completion" : "chat.completion.chunk";
    this.#head =
      `data: {"id":${JSON.stringify(id || randomId(this.#legacy ? "cmpl-" : "chatcmpl-"))},"object":"${object}",` +
      `"created":${Number.isFinite(created) ? created : nowSeconds()},"model":${
        JSON.stringify(this.#model || model)
      },"choices":[{"index":0,` +
      (this.#legacy ? '"text":' : '"delta":');
    // Legacy Completions has no role chunk.
    return this.#legacy ? "" : this.#head + '{"role":"assistant","content":""}' + this.#open;
  }

  /** Content before any `start` (a source without one): start with made-up id and time. */
  #ensureHead(): string {
    return this.#head ? "" : this.#begin("", nowSeconds(), "", undefined);
  }

  #callChunk(_blockIndex: number, call: PendingCall): string {
    if (this.#legacy) return "";
    // CLIProxyAPI (behaviour.md vector 19) numbers a call by its Claude block index, so a call after a text block
    // gets index 1 with no index 0 — which breaks the official SDK's stream accumulator
    // (`chat.completions.stream().finalChatCompletion()`). Calls are numbered 0, 1, 2… per stream instead, as OpenAI
    // itself does.
    const index = this.#callsSent++;
    const delta = {
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.args || "{}" },
      }],
    };
    return this.#ensureHead() + this.#head + JSON.stringify(delta) + this.#open;
  }

  /** Calls whose block never stopped (a source cut short) are still sent, before the finish. */
  #flushCalls(): string {
    if (this.#calls.size === 0) return "";
    let out = "";
    for (const [index, call] of this.#calls) out += this.#callChunk(index, call);
    this.#calls.clear();
    return out;
  }

  #finish(stop: IrStopReason | undefined, native: string | undefined, usage: IrUsage | undefined): string {
    if (usage) this.#usage = usage;
    if (native !== undefined) this.#native = native;
    if (stop === undefined) {
      // Usage after the finish_reason goes out at once; before it, it waits to ride on the finish chunk.
      return usage && this.#finishReason !== null ? this.#finishChunk(this.#finishReason) : "";
    }
    const out = this.#flushCalls();
    const gemini = this.#native !== undefined;
    this.#finishReason = this.#legacy
      ? completionsFinishReason(stop, gemini)
      : finishReasonToOpenAI(stop, this.#callsSent > 0, gemini);
    return out + this.#finishChunk(this.#finishReason);
  }

  /** The chunk carrying the finish_reason (repeated on a late usage chunk) and any waiting usage. */
  #finishChunk(reason: string): string {
    let out = this.#ensureHead() + this.#head + (this.#legacy ? '""' : "{}");
    if (this.#legacy) out += ',"logprobs":null';
    out += `,"finish_reason":"${reason}"`;
    if (this.#native !== undefined && !this.#legacy) out += `,"native_finish_reason":${JSON.stringify(this.#native)}`;
    out += "}]";
    if (this.#usage) {
      out += `,"usage":${JSON.stringify(usageToOpenAI(this.#usage))}`;
      this.#usage = undefined;
    }
    return out + "}\n\n";
  }
}
