/**
 * A whole IR response out of IR stream events, for any upstream format. Stream-only upstreams (the Codex backend)
 * answer a non-stream client with the response assembled from the parsed stream (CPA returns
 * `response.completed.response`). Tool-call argument fragments are joined; text and thinking deltas concatenated.
 */
import type { IrPart, IrResponse, IrStopReason, IrStreamEvent, IrUsage } from "./ir.ts";
import type { WireFormat } from "./wire-format.ts";
import { ProxyError } from "../http/proxy-error.ts";

/** One block being assembled; fields declared up front so every instance has one shape. */
class Block {
  readonly type: "text" | "thinking" | "tool_call" | "image";
  text = "";
  signature = "";
  readonly id: string;
  readonly name: string;
  readonly mediaType: string;

  constructor(type: Block["type"], id = "", name = "", mediaType = "", data = "") {
    this.type = type;
    this.id = id;
    this.name = name;
    this.mediaType = mediaType;
    this.text = data;
  }
}

export interface AssembleOptions {
  /** The family the thinking signatures come from (default: a Responses upstream's `encrypted_content`). */
  readonly signatureFormat?: WireFormat;
}

/** Feed events with `push`, then take the response with `result()`. */
export class ResponseAssembler {
  readonly #signatureFormat: WireFormat;
  #id = "";
  #model = "";
  #created = 0;
  /** Blocks in the order they started. */
  readonly #blocks = new Map<number, Block>();
  #stop: IrStopReason | null = null;
  #native: string | undefined = undefined;
  #usage: IrUsage | undefined = undefined;
  #ended = false;
  #error: { status: number; message: string; errorType?: string } | null = null;

  constructor(options: AssembleOptions = {}) {
    this.#signatureFormat = options.signatureFormat ?? "openai-responses";
  }

  #block(index: number, type: Block["type"]): Block {
    let b = this.#blocks.get(index);
    if (!b) {
      b = new Block(type);
      this.#blocks.set(index, b);
    }
    return b;
  }

  push(e: IrStreamEvent): void {
    switch (e.type) {
      case "text_delta":
        this.#block(e.index, "text").text += e.text;
        break;
      case "thinking_delta":
        this.#block(e.index, "thinking").text += e.text;
        break;
      case "signature_delta":
        this.#block(e.index, "thinking").signature += e.signature;
        break;
      case "tool_args_delta": {
        const b = this.#blocks.get(e.index);
        if (b?.type === "tool_call") b.text += e.partialJson;
        break;
      }
      case "block_start": {
        if (this.#blocks.has(e.index)) break;
        const k = e.block;
        const b = k.type === "tool_call"
          ? new Block("tool_call", k.id, k.name)
          : k.type === "image"
          ? new Block("image", "", "", k.mediaType, k.data)
          : new Block(k.type);
        this.#blocks.set(e.index, b);
        break;
      }
      case "start":
        this.#id = e.id;
        this.#model = e.model;
        this.#created = e.created;
        this.#usage ??= e.usage;
        break;
      case "finish":
        if (e.stopReason !== undefined) this.#stop = e.stopReason;
        if (e.nativeStopReason !== undefined) this.#native = e.nativeStopReason;
        if (e.usage !== undefined) this.#usage = e.usage;
        break;
      case "error":
        this.#error ??= e.errorType !== undefined
          ? { status: e.status, message: e.message, errorType: e.errorType }
          : { status: e.status, message: e.message };
        break;
      case "end":
        this.#ended = true;
        break;
    }
  }

  /** The upstream's terminal event arrived. */
  get complete(): boolean {
    return this.#ended;
  }

  /** The first in-band error the upstream reported, if any. */
  get error(): { readonly status: number; readonly message: string } | null {
    return this.#error;
  }

  /** The assembled response. Throws the upstream's in-stream error as a ProxyError when there was one. */
  result(): IrResponse {
    if (this.#error) {
      const { status, message, errorType } = this.#error;
      throw new ProxyError(
        status,
        "upstream_stream_error",
        message,
        errorType !== undefined ? { type: errorType } : {},
      );
    }
    const content: IrPart[] = [];
    for (const b of this.#blocks.values()) {
      switch (b.type) {
        case "text":
          if (b.text !== "") content.push({ type: "text", text: b.text });
          break;
        case "thinking":
          if (b.signature !== "") {
            content.push({
              type: "thinking",
              text: b.text,
              signature: b.signature,
              signatureFormat: this.#signatureFormat,
            });
          } else if (b.text !== "") {
            content.push({ type: "thinking", text: b.text });
          }
          break;
        case "tool_call":
          content.push({ type: "tool_call", id: b.id, name: b.name, arguments: b.text || "{}" });
          break;
        case "image":
          content.push({ type: "image", source: { kind: "base64", mediaType: b.mediaType, data: b.text } });
          break;
      }
    }
    let stopReason = this.#stop;
    // A stream that ended without a stop reason still finished its turn.
    if (stopReason === null && this.#ended) {
      stopReason = content.some((p) => p.type === "tool_call") ? "tool_use" : "end_turn";
    }
    const ir: { -readonly [K in keyof IrResponse]: IrResponse[K] } = {
      id: this.#id,
      model: this.#model,
      created: this.#created,
      content,
      stopReason,
    };
    if (this.#native !== undefined) ir.nativeStopReason = this.#native;
    if (this.#usage !== undefined) ir.usage = this.#usage;
    return ir;
  }
}

/** Assembles a complete stream of IR events into one IR response (see {@link ResponseAssembler}). */
export function assembleResponse(events: Iterable<IrStreamEvent>, options: AssembleOptions = {}): IrResponse {
  const a = new ResponseAssembler(options);
  for (const e of events) a.push(e);
  return a.result();
}
