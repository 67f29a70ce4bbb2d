/**
 * Claude Messages SSE (an upstream's stream) → IR stream events.
 *
 * Claude's stream already has the IR's shape — indexed blocks opened, filled and closed — so block indexes pass
 * through unchanged. Blocks the IR cannot carry (redacted thinking, server tool use and results) are skipped whole,
 * which leaves gaps in the indexes; the IR allows that.
 */
import type { IrStreamEvent, RenderContext, StreamParser } from "../ir.ts";
import { isJsonObject, type JsonObject } from "../wire-format.ts";
import {
  type ClaudeUsageState,
  irUsage,
  mergeUsage,
  newUsageState,
  num,
  obj,
  stopReasonFromClaude,
  str,
} from "./wire.ts";

type Emit = (e: IrStreamEvent) => void;
type FinishEvent = Extract<IrStreamEvent, { type: "finish" }>;

/** What a Claude block index is, as far as the IR is concerned. */
const TEXT = 1;
const THINKING = 2;
const TOOL = 3;
/** A block the IR has no form for: its deltas are dropped. */
const SKIP = 4;
/** Stopped: later events for the index are ignored. */
const CLOSED = 5;

/** Claude error type → HTTP status, for in-stream `error` events (the inverse of behaviour.md §1.4's table). */
const ERROR_STATUS: ReadonlyMap<string, number> = new Map([
  ["invalid_request_error", 400],
  ["authentication_error", 401],
  ["billing_error", 402],
  ["permission_error", 403],
  ["not_found_error", 404],
  ["request_too_large", 413],
  ["rate_limit_error", 429],
  ["api_error", 500],
  ["timeout_error", 504],
  ["overloaded_error", 529],
]);

let clockAt = -Infinity;
let clockSeconds = 0;

/**
 * `created` for a stream: Claude sends no timestamp, so it is the current time, refreshed at most once a minute.
 * Only OpenAI-style clients show it and none needs it to the second; the coarse clock makes replays of the same
 * stream give identical events (the conformance runner replays each stream in many chunkings and compares).
 */
function streamCreated(): number {
  const now = Date.now();
  if (now - clockAt >= 60_000 || now < clockAt) {
    clockAt = now;
    clockSeconds = Math.floor(now / 1000);
  }
  return clockSeconds;
}

export class ClaudeStreamParser implements StreamParser {
  #started = false;
  #done = false;
  /** Claude block index → TEXT | THINKING | TOOL | SKIP | CLOSED. */
  readonly #blocks = new Map<number, number>();
  readonly #usage: ClaudeUsageState = newUsageState();
  #hasUsage = false;

  constructor(_ctx: RenderContext) {}

  push(event: string | undefined, data: string, emit: Emit): void {
    // Fast path: keep-alives need no parse; nothing follows the terminal event or an error.
    if (this.#done || event === "ping") return;
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      return; // not JSON (e.g. a stray "[DONE]" from a Claude-compatible upstream): nothing to translate
    }
    if (!isJsonObject(v)) return;
    // The data's own type is authoritative; the event name covers upstreams that omit it.
    switch (str(v.type) ?? event) {
      case "content_block_delta":
        return this.#delta(v, emit);
      case "content_block_start":
        return this.#blockStart(v, emit);
      case "content_block_stop":
        return this.#blockStop(num(v.index) ?? 0, emit);
      case "message_start":
        return this.#messageStart(obj(v.message), emit);
      case "message_delta":
        return this.#messageDelta(v, emit);
      case "message_stop":
        return this.#messageStop(emit);
      case "error":
        return this.#error(obj(v.error), emit);
    }
  }

  end(_emit: Emit): void {
    // Claude ends with message_stop. A stream cut off before it is incomplete: no `end` is invented, so the
    // pipeline can tell it from a finished one.
  }

  #start(emit: Emit, id: string, model: string): void {
    this.#started = true;
    emit(
      this.#hasUsage
        ? { type: "start", id, model, created: streamCreated(), usage: irUsage(this.#usage) }
        : { type: "start", id, model, created: streamCreated() },
    );
  }

  #messageStart(message: JsonObject | undefined, emit: Emit): void {
    if (this.#started) return;
    const usage = message && obj(message.usage);
    if (usage) {
      mergeUsage(this.#usage, usage);
      this.#hasUsage = true;
    }
    this.#start(emit, str(message?.id) ?? "", str(message?.model) ?? "");
  }

  #blockStart(v: JsonObject, emit: Emit): void {
    const index = num(v.index) ?? 0;
    if (this.#blocks.has(index)) return;
    if (!this.#started) this.#start(emit, "", "");
    const b = obj(v.content_block);
    switch (b?.type) {
      case "text": {
        this.#blocks.set(index, TEXT);
        emit({ type: "block_start", index, block: { type: "text" } });
        const text = str(b.text);
        if (text) emit({ type: "text_delta", index, text });
        return;
      }
      case "thinking": {
        this.#blocks.set(index, THINKING);
        emit({ type: "block_start", index, block: { type: "thinking" } });
        const text = str(b.thinking);
        if (text) emit({ type: "thinking_delta", index, text });
        const signature = str(b.signature);
        if (signature) emit({ type: "signature_delta", index, signature });
        return;
      }
      case "tool_use": {
        this.#blocks.set(index, TOOL);
        emit({
          type: "block_start",
          index,
          block: { type: "tool_call", id: str(b.id) ?? "", name: str(b.name) ?? "" },
        });
        // Claude starts with input {} and streams the JSON; a non-empty input here (some compatible upstreams send
        // the whole call at once) is the complete argument text.
        const input = obj(b.input);
        if (input && Object.keys(input).length > 0) {
          emit({ type: "tool_args_delta", index, partialJson: JSON.stringify(input) });
        }
        return;
      }
    }
    // redacted_thinking: the IR stream has no redacted flag, and its data passed off as a signature would be
    // replayed as an invalid thinking block. server_tool_use, *_tool_result, container_upload: no IR form.
    this.#blocks.set(index, SKIP);
  }

  #delta(v: JsonObject, emit: Emit): void {
    const index = num(v.index) ?? 0;
    const d = obj(v.delta);
    if (!d) return;
    let kind = this.#blocks.get(index);
    if (kind === SKIP || kind === CLOSED) return;
    switch (d.type) {
      case "text_delta": {
        const text = str(d.text);
        if (!text) return;
        if (kind === undefined) kind = this.#implicitBlock(index, TEXT, emit);
        if (kind === TEXT) emit({ type: "text_delta", index, text });
        return;
      }
      case "thinking_delta": {
        const text = str(d.thinking);
        if (!text) return;
        if (kind === undefined) kind = this.#implicitBlock(index, THINKING, emit);
        if (kind === THINKING) emit({ type: "thinking_delta", index, text });
        return;
      }
      case "signature_delta": {
        const signature = str(d.signature);
        if (!signature) return;
        if (kind === undefined) kind = this.#implicitBlock(index, THINKING, emit);
        if (kind === THINKING) emit({ type: "signature_delta", index, signature });
        return;
      }
      case "input_json_delta": {
        // Claude often opens with an empty fragment; only text that adds to the arguments is passed on. A fragment
        // for a block never opened has no call id or name to hang on: dropped.
        const partialJson = str(d.partial_json);
        if (partialJson && kind === TOOL) emit({ type: "tool_args_delta", index, partialJson });
        return;
      }
    }
    // citations_delta and future delta types carry nothing the IR models.
  }

  /** A delta for a block that was never started (a lenient compatible upstream): open it so the IR stays valid. */
  #implicitBlock(index: number, kind: typeof TEXT | typeof THINKING, emit: Emit): number {
    if (!this.#started) this.#start(emit, "", "");
    this.#blocks.set(index, kind);
    emit({ type: "block_start", index, block: { type: kind === TEXT ? "text" : "thinking" } });
    return kind;
  }

  #blockStop(index: number, emit: Emit): void {
    const kind = this.#blocks.get(index);
    if (kind === undefined || kind === CLOSED) return;
    this.#blocks.set(index, CLOSED);
    if (kind !== SKIP) emit({ type: "block_stop", index });
  }

  #messageDelta(v: JsonObject, emit: Emit): void {
    const d = obj(v.delta);
    const { stop, native } = stopReasonFromClaude(d?.stop_reason);
    const usage = obj(v.usage);
    if (usage) {
      mergeUsage(this.#usage, usage);
      this.#hasUsage = true;
    }
    if (stop === null && !usage) return;
    if (!this.#started) this.#start(emit, "", "");
    const e: { -readonly [K in keyof FinishEvent]: FinishEvent[K] } = { type: "finish" };
    if (stop !== null) e.stopReason = stop;
    if (native !== undefined) e.nativeStopReason = native;
    if (this.#hasUsage) e.usage = irUsage(this.#usage);
    emit(e);
  }

  #messageStop(emit: Emit): void {
    if (!this.#started) this.#start(emit, "", "");
    // Blocks left open by a sloppy upstream are closed, so every IR block has its stop.
    for (const [index, kind] of this.#blocks) {
      if (kind === TEXT || kind === THINKING || kind === TOOL) emit({ type: "block_stop", index });
    }
    this.#blocks.clear();
    this.#done = true;
    emit({ type: "end" });
  }

  #error(err: JsonObject | undefined, emit: Emit): void {
    const errorType = str(err?.type) ?? "api_error";
    const message = str(err?.message) ?? "upstream stream error";
    this.#done = true;
    emit({ type: "error", status: ERROR_STATUS.get(errorType) ?? 500, message, errorType });
  }
}
