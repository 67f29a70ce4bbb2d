/**
 * Chat Completions (and legacy Completions) upstream SSE → IR stream events.
 *
 * OpenAI has no blocks: `reasoning_content` deltas become a thinking block, `content` a text block, and each
 * `tool_calls[].index` a tool-call block, one open at a time; a change of kind closes the open block. A tool call's
 * block starts once its id and name are known (they may come in separate fragments); argument fragments that
 * arrived before that are sent with the start. The stop reason is held until the usage chunk (sent after it when
 * `include_usage` is on) or `[DONE]`, so a Claude client gets one `message_delta` with both.
 */
import type { IrStopReason, IrStreamEvent, IrUsage, StreamParser } from "../ir.ts";
import type { JsonObject, JsonValue } from "../wire-format.ts";
import { argumentsText, arr, nowSeconds, num, obj, randomId, str } from "./json.ts";
import { parseDataUrl, urlOf } from "./media.ts";
import { firstChoice } from "./response.ts";
import { stopReasonFromOpenAI } from "./stop-reason.ts";
import { usageFromOpenAI } from "./usage.ts";

type Emit = (e: IrStreamEvent) => void;

const NONE = 0;
const TEXT = 1;
const THINKING = 2;
const TOOL = 3;

/** One upstream tool call, keyed by its `index` (-1 for the deprecated `function_call`). */
interface ToolCall {
  id: string;
  name: string;
  /** Argument text received before the block could start. */
  pending: string;
  /** IR block index, -1 until started. */
  block: number;
  closed: boolean;
}

/** Status for an in-band `{"error":{…}}` chunk: its numeric code, else by OpenAI error type. */
function errorStatus(e: JsonObject): number {
  const code = num(e.code) ?? num(e.status);
  if (code !== undefined && code >= 400 && code < 600) return code;
  switch (e.type) {
    case "invalid_request_error":
      return 400;
    case "authentication_error":
      return 401;
    case "permission_error":
      return 403;
    case "not_found_error":
      return 404;
    case "rate_limit_error":
    case "rate_limit_exceeded":
      return 429;
    case "overloaded_error":
      return 529;
  }
  return 500;
}

export class ChatStreamParser implements StreamParser {
  #started = false;
  /** `[DONE]` or an error was seen: nothing more is parsed. */
  #done = false;
  #next = 0;
  #openKind = NONE;
  #openIndex = -1;
  #openTool: ToolCall | null = null;
  readonly #tools = new Map<number, ToolCall>();
  #sawToolCall = false;
  #stop: IrStopReason | undefined;
  #usage: IrUsage | undefined;
  /** The finish event for the current stop reason / usage has been emitted. */
  #finishSent = false;
  /** Prefix for ids of tool calls an upstream sent without one. */
  readonly #idPrefix = randomId("call_");

  push(_event: string | undefined, data: string, emit: Emit): void {
    if (this.#done) return;
    if (data === "[DONE]") {
      this.#start(undefined, emit);
      this.#complete(emit);
      emit({ type: "end" });
      this.#done = true;
      return;
    }
    let chunk: JsonValue;
    try {
      chunk = JSON.parse(data);
    } catch {
      return; // keep-alive comments and junk some proxies interleave
    }
    const c = obj(chunk);
    if (!c) return;
    if (c.error !== undefined && c.error !== null) {
      this.#error(c.error, emit);
      return;
    }
    const choice = firstChoice(c);
    const usage = obj(c.usage);
    // Nothing to report (Azure's leading `prompt_filter_results` chunk, with an empty id and model): wait for a
    // chunk that names the stream.
    if (!choice && !usage) return;
    this.#start(c, emit);
    if (choice) this.#choice(choice, emit);
    if (usage) {
      this.#usage = usageFromOpenAI(usage);
      this.#finishSent = false;
      // Before the stop reason (servers that report usage on every chunk) it waits; after it, it completes it.
      if (this.#stop !== undefined) this.#finish(emit);
    }
  }

  end(emit: Emit): void {
    if (this.#done) return;
    this.#done = true;
    // No `[DONE]`: a stream that reached its finish_reason is complete all the same (some compatible servers never
    // send the marker); one cut off before it gets no `end`, so the pipeline reports it as incomplete.
    this.#complete(emit);
    if (this.#stop !== undefined) emit({ type: "end" });
  }

  /** `start` from the first chunk; a stream of nothing but `[DONE]` still gets one, so every sequence begins with it. */
  #start(c: JsonObject | undefined, emit: Emit): void {
    if (this.#started) return;
    this.#started = true;
    emit({ type: "start", id: str(c?.id) ?? "", model: str(c?.model) ?? "", created: num(c?.created) ?? nowSeconds() });
  }

  #choice(choice: JsonObject, emit: Emit): void {
    // Legacy Completions chunks carry `text` on the choice itself.
    const delta = obj(choice.delta) ?? choice;
    // `||`: DeepSeek sends `reasoning_content: ""` beside content; OpenRouter names the field `reasoning`.
    const reasoning = str(delta.reasoning_content) || str(delta.reasoning);
    if (reasoning) this.#delta(THINKING, reasoning, emit);
    const content = delta.content;
    if (typeof content === "string") {
      if (content) this.#delta(TEXT, content, emit);
    } else if (Array.isArray(content)) {
      for (const p of content) {
        const text = str(obj(p)?.text);
        if (text) this.#delta(TEXT, text, emit);
      }
    }
    const text = str(delta.text) ?? str(delta.refusal);
    if (text) this.#delta(TEXT, text, emit);
    const calls = arr(delta.tool_calls);
    if (calls) {
      for (let i = 0; i < calls.length; i++) {
        const tc = obj(calls[i]);
        if (!tc) continue;
        const fn = obj(tc.function);
        this.#toolDelta(num(tc.index) ?? i, str(tc.id), fn && str(fn.name), argumentsText(fn?.arguments), emit);
      }
    }
    const fc = obj(delta.function_call);
    if (fc) this.#toolDelta(-1, undefined, str(fc.name), argumentsText(fc.arguments), emit);
    const images = arr(delta.images);
    if (images) { for (const img of images) this.#image(img, emit); }
    const reason = str(choice.finish_reason);
    if (reason) {
      this.#closeOpen(emit);
      this.#stop = stopReasonFromOpenAI(reason, this.#sawToolCall);
      this.#finishSent = false;
    }
  }

  /** A text or thinking fragment: continues the open block of that kind or opens a new one. */
  #delta(kind: number, text: string, emit: Emit): void {
    if (this.#openKind !== kind) {
      this.#closeOpen(emit);
      this.#openKind = kind;
      this.#openIndex = this.#next++;
      emit({ type: "block_start", index: this.#openIndex, block: { type: kind === TEXT ? "text" : "thinking" } });
    }
    emit(
      kind === TEXT
        ? { type: "text_delta", index: this.#openIndex, text }
        : { type: "thinking_delta", index: this.#openIndex, text },
    );
  }

  #toolDelta(key: number, id: string | undefined, name: string | undefined, args: string, emit: Emit): void {
    let t = this.#tools.get(key);
    // A new id under a known index is a new call (servers that send every call as index 0).
    if (!t || (id && t.id && id !== t.id)) {
      t = { id: "", name: "", pending: "", block: -1, closed: false };
      this.#tools.set(key, t);
    }
    // A fragment for a call whose block was closed when another began (interleaved upstream) cannot be placed: IR
    // blocks do not reopen. OpenAI and the compatible servers send each call's fragments together.
    if (t.closed) return;
    if (t !== this.#openTool) {
      this.#closeOpen(emit);
      this.#openKind = TOOL;
      this.#openTool = t;
    }
    if (t.block >= 0) {
      if (args) emit({ type: "tool_args_delta", index: t.block, partialJson: args });
      return;
    }
    if (id) t.id = id;
    if (name) t.name = name;
    t.pending += args;
    if (t.id && t.name) this.#startTool(t, emit);
  }

  #startTool(t: ToolCall, emit: Emit): void {
    t.block = this.#next++;
    this.#sawToolCall = true;
    // Ids and names the upstream never sent are made up rather than dropping the call (as CLIProxyAPI does).
    const id = t.id || `${this.#idPrefix}${t.block}`;
    const name = t.name || `tool_${t.block}`;
    emit({ type: "block_start", index: t.block, block: { type: "tool_call", id, name } });
    if (t.pending) emit({ type: "tool_args_delta", index: t.block, partialJson: t.pending });
    t.pending = "";
  }

  #image(v: JsonValue, emit: Emit): void {
    const url = urlOf(obj(v)?.image_url);
    const d = url ? parseDataUrl(url) : null;
    if (!d) return;
    this.#closeOpen(emit);
    const index = this.#next++;
    emit({ type: "block_start", index, block: { type: "image", mediaType: d.mediaType, data: d.data } });
    emit({ type: "block_stop", index });
  }

  #closeOpen(emit: Emit): void {
    const kind = this.#openKind;
    if (kind === NONE) return;
    this.#openKind = NONE;
    if (kind !== TOOL) {
      emit({ type: "block_stop", index: this.#openIndex });
      return;
    }
    const t = this.#openTool!;
    this.#openTool = null;
    t.closed = true;
    if (t.block < 0) {
      if (!t.id && !t.name && !t.pending) return; // an empty fragment: no call to report
      this.#startTool(t, emit);
    }
    emit({ type: "block_stop", index: t.block });
  }

  /** Stream complete: close the open block and send what is known of the finish. */
  #complete(emit: Emit): void {
    this.#closeOpen(emit);
    if (!this.#finishSent && (this.#stop !== undefined || this.#usage !== undefined)) this.#finish(emit);
  }

  #finish(emit: Emit): void {
    // Content after the finish_reason (a misbehaving server) reopened a block: finish comes after blocks close.
    this.#closeOpen(emit);
    this.#finishSent = true;
    const e: { type: "finish"; stopReason?: IrStopReason; usage?: IrUsage } = { type: "finish" };
    if (this.#stop !== undefined) e.stopReason = this.#stop;
    if (this.#usage !== undefined) e.usage = this.#usage;
    emit(e);
  }

  #error(v: JsonValue, emit: Emit): void {
    this.#done = true;
    const e = obj(v);
    if (!e) {
      emit({ type: "error", status: 500, message: typeof v === "string" ? v : JSON.stringify(v) });
      return;
    }
    const errorType = str(e.type);
    const message = str(e.message) ?? JSON.stringify(e);
    emit(
      errorType
        ? { type: "error", status: errorStatus(e), message, errorType }
        : { type: "error", status: errorStatus(e), message },
    );
  }
}
