/**
 * The answer side: thinking an upstream signed is remembered under (group of the upstream model, thinking text), so
 * the next turn can restore the signature whatever the client did with it.
 *
 * Streams: {@link StreamSignatureRecorder} follows one attempt's IR events, accumulating each thinking block's text
 * and signature, and stores the pair when the block stops (or the stream ends with it open). It only reads events:
 * the client sees exactly what it would without the plugin. Single JSON answers: {@link recordResponse}.
 */
import type { IrResponse, IrStreamEvent } from "../../core/formats/ir.ts";
import type { WireFormat } from "../../core/formats/wire-format.ts";
import type { SignatureCache } from "./cache.ts";

interface ThinkingBlock {
  text: string;
  signature: string;
}

export class StreamSignatureRecorder {
  readonly #cache: SignatureCache;
  readonly #model: string;
  readonly #format: WireFormat;
  /** Open thinking blocks by IR index; created with the first thinking block. */
  #blocks: Map<number, ThinkingBlock> | null = null;

  constructor(cache: SignatureCache, upstreamModel: string, format: WireFormat) {
    this.#cache = cache;
    this.#model = upstreamModel;
    this.#format = format;
  }

  /** The event mapper: observes, never replaces or drops. */
  readonly observe = (e: IrStreamEvent): void => {
    switch (e.type) {
      case "thinking_delta": {
        const b = this.#blocks?.get(e.index);
        if (b !== undefined) b.text += e.text;
        // A lenient source may skip block_start: the delta opens the block.
        else (this.#blocks ??= new Map()).set(e.index, { text: e.text, signature: "" });
        return;
      }
      case "signature_delta": {
        // Only thinking blocks: a tool call's own signature (Gemini) has no thinking text to key it.
        const b = this.#blocks?.get(e.index);
        if (b !== undefined) b.signature += e.signature;
        return;
      }
      case "block_start":
        if (e.block.type === "thinking") (this.#blocks ??= new Map()).set(e.index, { text: "", signature: "" });
        return;
      case "block_stop": {
        const b = this.#blocks?.get(e.index);
        if (b !== undefined) {
          this.#blocks!.delete(e.index);
          this.#store(b);
        }
        return;
      }
      case "end":
        if (this.#blocks !== null) {
          for (const b of this.#blocks.values()) this.#store(b);
          this.#blocks = null;
        }
        return;
    }
  };

  #store(b: ThinkingBlock): void {
    if (b.signature !== "" && b.text !== "") this.#cache.set(this.#model, b.text, b.signature, this.#format);
  }
}

/** Stores every signed thinking part of a single JSON answer from `upstreamModel` spoken to in `format`. */
export function recordResponse(ir: IrResponse, cache: SignatureCache, upstreamModel: string, format: WireFormat): void {
  for (const p of ir.content) {
    if (p.type === "thinking" && !p.redacted && p.signature && p.text !== "") {
      cache.set(upstreamModel, p.text, p.signature, p.signatureFormat ?? format);
    }
  }
}
