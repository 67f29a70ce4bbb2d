/**
 * IR stream events → one IrResponse: used when the upstream only streams (the Codex backend) but the client asked for a
 * single JSON answer. Tool-call argument fragments are joined; text and thinking deltas of a block are concatenated.
 */
import type { IrPart, IrResponse, IrStopReason, IrStreamEvent, IrUsage } from "./ir.ts";

interface OpenBlock {
  kind: "text" | "thinking" | "tool_call" | "image";
  text: string;
  signature: string;
  id: string;
  name: string;
  mediaType: string;
}

export class ResponseAssembler {
  #id = "";
  #model = "";
  #created = 0;
  #usage: IrUsage | undefined;
  #stop: IrStopReason | null = null;
  #native: string | undefined;
  readonly #blocks = new Map<number, OpenBlock>();
  readonly #order: number[] = [];
  /** The first in-band error, when the upstream reported one. */
  error: { status: number; message: string } | null = null;
  /** The upstream's terminal event arrived. */
  complete = false;

  push(e: IrStreamEvent): void {
    switch (e.type) {
      case "start":
        this.#id = e.id;
        this.#model = e.model;
        this.#created = e.created;
        if (e.usage) this.#usage = e.usage;
        return;
      case "block_start": {
        const b = e.block;
        this.#order.push(e.index);
        this.#blocks.set(e.index, {
          kind: b.type,
          text: b.type === "image" ? b.data : "",
          signature: "",
          id: b.type === "tool_call" ? b.id : "",
          name: b.type === "tool_call" ? b.name : "",
          mediaType: b.type === "image" ? b.mediaType : "",
        });
        return;
      }
      case "text_delta":
      case "thinking_delta": {
        const b = this.#block(e.index, e.type === "text_delta" ? "text" : "thinking");
        b.text += e.text;
        return;
      }
      case "signature_delta":
        this.#block(e.index, "thinking").signature += e.signature;
        return;
      case "tool_args_delta":
        this.#block(e.index, "tool_call").text += e.partialJson;
        return;
      case "block_stop":
        return;
      case "finish":
        if (e.stopReason !== undefined) this.#stop = e.stopReason;
        if (e.nativeStopReason !== undefined) this.#native = e.nativeStopReason;
        if (e.usage) this.#usage = e.usage;
        return;
      case "error":
        this.error ??= { status: e.status, message: e.message };
        return;
      case "end":
        this.complete = true;
        return;
    }
  }

  /** A delta for a block that was never opened opens it (defensive: some sources skip block_start). */
  #block(index: number, kind: OpenBlock["kind"]): OpenBlock {
    let b = this.#blocks.get(index);
    if (!b) {
      b = { kind, text: "", signature: "", id: `call_${index}`, name: "", mediaType: "" };
      this.#blocks.set(index, b);
      this.#order.push(index);
    }
    return b;
  }

  result(): IrResponse {
    const content: IrPart[] = [];
    for (const index of this.#order) {
      const b = this.#blocks.get(index)!;
      switch (b.kind) {
        case "text":
          content.push({ type: "text", text: b.text });
          break;
        case "thinking":
          content.push(b.signature ? { type: "thinking", text: b.text, signature: b.signature } : { type: "thinking", text: b.text });
          break;
        case "tool_call":
          content.push({ type: "tool_call", id: b.id, name: b.name, arguments: b.text || "{}" });
          break;
        case "image":
          content.push({ type: "image", source: { kind: "base64", mediaType: b.mediaType, data: b.text } });
          break;
      }
    }
    const response: IrResponse = {
      id: this.#id,
      model: this.#model,
      created: this.#created || Math.floor(Date.now() / 1000),
      content,
      stopReason: this.#stop,
      ...(this.#native !== undefined ? { nativeStopReason: this.#native } : {}),
      ...(this.#usage !== undefined ? { usage: this.#usage } : {}),
    };
    return response;
  }
}
