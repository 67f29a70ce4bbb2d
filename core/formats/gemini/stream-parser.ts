/**
 * Gemini `streamGenerateContent?alt=sse` → IR events. Every `data:` is a complete `GenerateContentResponse` chunk;
 * Gemini has no blocks and no terminal event, so the parser keeps one open block at a time (text parts extend an
 * open text block, thought parts a thinking block; a function call or an image is a block of its own) and emits
 * `end` when the upstream body ends (behaviour.md §4.5).
 */
import type { IrStreamEvent, IrUsage, StreamParser } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { numberAt, objectAt, stringAt } from "./fields.ts";
import { argsText, mediaFromPart, partSignature } from "./parts.ts";
import { createdSeconds, finishReasonOf, firstCandidate, generatedCallId } from "./response.ts";
import { stopReasonFromFinish, usageFromMetadata } from "./usage.ts";

type Emit = (e: IrStreamEvent) => void;

export class GeminiStreamParser implements StreamParser {
  #started = false;
  #responseId = "";
  #open: "text" | "thinking" | null = null;
  #openIndex = -1;
  /** The open thinking block got its signature: more thoughts open a new block (a signature ends a Claude block). */
  #sealed = false;
  #nextIndex = 0;
  #calls = 0;
  #sawToolCall = false;
  /** A finish with the stop reason went out; later usage goes out as usage-only finishes. */
  #stopped = false;
  /** Gemini repeats usage on every chunk; the latest is the one that counts. */
  #usage: IrUsage | undefined = undefined;
  #failed = false;

  push(_event: string | undefined, data: string, emit: Emit): void {
    // Fast path: keep-alive comments and a `[DONE]` some gateways append carry no chunk.
    if (this.#failed || data === "" || data === "[DONE]") return;
    let chunk: JsonValue;
    try {
      chunk = JSON.parse(data);
    } catch {
      return; // not a chunk: skipped, as CPA skips unparsable lines
    }
    if (isJsonObject(chunk)) this.#chunk(chunk, emit);
    else if (Array.isArray(chunk)) {
      // `alt=json` framing: a batch of chunks.
      for (const c of chunk) if (isJsonObject(c) && !this.#failed) this.#chunk(c, emit);
    }
  }

  end(emit: Emit): void {
    if (this.#failed) return;
    this.#close(emit);
    if (!this.#stopped && (this.#usage || this.#sawToolCall)) {
      // The stream ended without a finishReason: still report what is known.
      emit(
        this.#sawToolCall
          ? { type: "finish", stopReason: "tool_use", ...this.#usageField() }
          : { type: "finish", ...this.#usageField() },
      );
    }
    emit({ type: "end" });
  }

  #usageField(): { usage?: IrUsage } {
    return this.#usage ? { usage: this.#usage } : {};
  }

  #chunk(c: JsonObject, emit: Emit): void {
    if (c.error !== undefined) {
      this.#error(c.error, emit);
      return;
    }
    if (!this.#started) {
      this.#started = true;
      this.#responseId = stringAt(c, "responseId", "response_id") ?? "";
      emit({
        type: "start",
        id: this.#responseId,
        model: stringAt(c, "modelVersion", "model_version") ?? "",
        created: createdSeconds(c),
      });
    }
    const candidate = firstCandidate(c);
    const content = candidate && objectAt(candidate, "content", "content");
    if (content && Array.isArray(content.parts)) {
      for (const p of content.parts) if (isJsonObject(p)) this.#part(p, emit);
    }
    const usage = objectAt(c, "usageMetadata", "usage_metadata");
    if (usage) this.#usage = usageFromMetadata(usage);
    const reason = finishReasonOf(c, candidate);
    if (reason !== undefined && !this.#stopped) {
      this.#close(emit);
      this.#stopped = true;
      emit({
        type: "finish",
        stopReason: stopReasonFromFinish(reason, this.#sawToolCall),
        nativeStopReason: reason.toLowerCase(),
        ...this.#usageField(),
      });
    } else if (this.#stopped && usage) emit({ type: "finish", usage: this.#usage! });
  }

  #part(p: JsonObject, emit: Emit): void {
    const sig = partSignature(p);
    const call = objectAt(p, "functionCall", "function_call");
    if (call) {
      // Gemini sends each call whole: one block, one args delta.
      this.#close(emit);
      const name = stringAt(call, "name", "name") ?? "";
      const id = stringAt(call, "id", "id") || generatedCallId(name, this.#responseId, ++this.#calls);
      const index = this.#nextIndex++;
      emit({ type: "block_start", index, block: { type: "tool_call", id, name } });
      // The call's own thoughtSignature (Gemini 3 requires it back with the call).
      if (sig) emit({ type: "signature_delta", index, signature: sig });
      emit({ type: "tool_args_delta", index, partialJson: argsText(call.args) });
      emit({ type: "block_stop", index });
      this.#sawToolCall = true;
      return;
    }
    const text = p.text;
    if (typeof text === "string") {
      if (p.thought === true) {
        if (this.#open !== "thinking" || this.#sealed) {
          if (text === "" && !sig) return;
          this.#openBlock("thinking", emit);
        }
        if (text !== "") emit({ type: "thinking_delta", index: this.#openIndex, text });
        if (sig) {
          emit({ type: "signature_delta", index: this.#openIndex, signature: sig });
          this.#sealed = true;
        }
        return;
      }
      // The first answer part after the thoughts carries their signature (see parts.ts).
      if (sig && this.#open === "thinking" && !this.#sealed) {
        emit({ type: "signature_delta", index: this.#openIndex, signature: sig });
        this.#sealed = true;
      }
      if (text === "") return;
      if (this.#open !== "text") this.#openBlock("text", emit);
      emit({ type: "text_delta", index: this.#openIndex, text });
      return;
    }
    const media = mediaFromPart(p);
    if (media && media.source.kind === "base64") {
      this.#close(emit);
      const index = this.#nextIndex++;
      emit({
        type: "block_start",
        index,
        block: { type: "image", mediaType: media.source.mediaType, data: media.source.data },
      });
      emit({ type: "block_stop", index });
    }
  }

  #openBlock(type: "text" | "thinking", emit: Emit): void {
    this.#close(emit);
    this.#open = type;
    this.#openIndex = this.#nextIndex++;
    this.#sealed = false;
    emit({ type: "block_start", index: this.#openIndex, block: { type } });
  }

  #close(emit: Emit): void {
    if (this.#open === null) return;
    emit({ type: "block_stop", index: this.#openIndex });
    this.#open = null;
  }

  /** `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`. */
  #error(err: JsonValue, emit: Emit): void {
    this.#failed = true;
    if (!isJsonObject(err)) {
      emit({ type: "error", status: 500, message: typeof err === "string" ? err : JSON.stringify(err) });
      return;
    }
    const code = numberAt(err, "code", "code");
    const status = code !== undefined && code >= 400 && code < 600 ? code : 500;
    const message = stringAt(err, "message", "message") ?? JSON.stringify(err);
    const type = stringAt(err, "status", "status");
    emit(type ? { type: "error", status, message, errorType: type } : { type: "error", status, message });
  }
}
