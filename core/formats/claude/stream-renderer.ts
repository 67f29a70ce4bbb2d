/**
 * IR stream events → Claude Messages SSE for a Claude client (behaviour.md §4.5 "Claude out"):
 * message_start → (content_block_start → content_block_delta* → content_block_stop)* → message_delta → message_stop.
 *
 * Claude clients (the SDKs' accumulators, Claude Code) address content by block index and expect Claude's own
 * discipline, so the output keeps it whatever the source did:
 * - indexes are dense from 0 in output order (OpenAI-style sources leave gaps or interleave);
 * - one block is open at a time: a block that starts closes the open one, and more text for a block closed that way
 *   continues in a new block of the same kind;
 * - a tool call is sent whole when its block stops (start, one input_json_delta, stop), as CPA does for OpenAI
 *   sources: fragments of parallel calls may interleave in the source, and the client always gets valid JSON
 *   (invalid arguments → {}, vector 18);
 * - message_delta is held until `end`, because `finish` may come more than once (usage after the stop reason);
 * - anything before `start` starts the message lazily; `error` ends the stream with Claude's error event.
 */
import type { IrBlock, IrStopReason, IrStreamEvent, IrUsage, RenderContext, StreamRenderer } from "../ir.ts";
import { isJsonObject } from "../wire-format.ts";
import { claudeErrorType } from "../error-envelope.ts";
import { claudeToolId, randomId, stopReasonToClaude, usageToClaude } from "./wire.ts";

const TEXT = 1;
const THINKING = 2;
const TOOL = 3;
/** Image blocks (Gemini output): a Claude assistant message cannot carry them. */
const SKIP = 4;

/** One IR block's state. Tool calls collect their argument text until they are sent. */
interface Block {
  readonly kind: number;
  stopped: boolean;
  readonly id: string;
  readonly name: string;
  args: string;
}

const CLAUDE_ERROR_TYPES: ReadonlySet<string> = new Set([
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "overloaded_error",
]);

const MESSAGE_STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The text to send as the tool's input JSON, "" when there is nothing to send (the client then has input {}). */
function toolInputJson(args: string): string {
  const text = args.trim();
  if (text === "" || text === "{}") return "";
  try {
    const v: unknown = JSON.parse(text);
    return isJsonObject(v) && Object.keys(v).length > 0 ? text : "";
  } catch {
    return "";
  }
}

export class ClaudeStreamRenderer implements StreamRenderer {
  readonly #model: string;
  #started = false;
  #done = false;
  readonly #blocks = new Map<number, Block>();
  /** IR index of the block whose output block is open; -1 when none is. */
  #openIr = -1;
  /** Output index of the open block. */
  #openOut = -1;
  #next = 0;
  #sawToolCall = false;
  #stop: IrStopReason | undefined;
  #usage: IrUsage | undefined;

  constructor(ctx: RenderContext) {
    this.#model = ctx.model;
  }

  push(e: IrStreamEvent): string {
    if (this.#done) return "";
    switch (e.type) {
      // Fast paths first: deltas are the bulk of a stream.
      case "text_delta":
        return e.text === "" ? "" : this.#delta(e.index, TEXT, "text_delta", "text", e.text);
      case "thinking_delta":
        return e.text === "" ? "" : this.#delta(e.index, THINKING, "thinking_delta", "thinking", e.text);
      case "tool_args_delta": {
        const b = this.#blocks.get(e.index);
        if (b && b.kind === TOOL && !b.stopped) b.args += e.partialJson;
        return "";
      }
      case "signature_delta":
        return e.signature === "" ? "" : this.#delta(e.index, THINKING, "signature_delta", "signature", e.signature);
      case "block_start":
        return this.#blockStart(e.index, e.block);
      case "block_stop":
        return this.#blockStop(e.index);
      case "start":
        this.#usage ??= e.usage;
        return this.#started ? "" : this.#messageStart(e.id, e.model);
      case "finish":
        // Later values win; sent with message_delta at the end.
        if (e.stopReason !== undefined) this.#stop = e.stopReason;
        if (e.usage !== undefined) this.#usage = e.usage;
        return "";
      case "error": {
        this.#done = true;
        const type = e.errorType !== undefined && CLAUDE_ERROR_TYPES.has(e.errorType)
          ? e.errorType
          : claudeErrorType(e.status);
        return frame("error", { type: "error", error: { type, message: e.message } });
      }
      case "end":
        return this.#end();
    }
    return "";
  }

  #messageStart(id: string, model: string): string {
    this.#started = true;
    return frame("message_start", {
      type: "message_start",
      message: {
        id: id || randomId("msg_"),
        type: "message",
        role: "assistant",
        model: this.#model || model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usageToClaude(this.#usage),
      },
    });
  }

  #ensureStarted(): string {
    return this.#started ? "" : this.#messageStart("", "");
  }

  #blockStart(index: number, block: IrBlock): string {
    if (this.#blocks.has(index)) return ""; // a repeated index: the first block keeps it
    const out = this.#ensureStarted();
    switch (block.type) {
      case "text":
      case "thinking": {
        const kind = block.type === "text" ? TEXT : THINKING;
        this.#blocks.set(index, { kind, stopped: false, id: "", name: "", args: "" });
        return out + this.#open(index, kind);
      }
      case "tool_call":
        this.#blocks.set(index, { kind: TOOL, stopped: false, id: block.id, name: block.name, args: "" });
        return out;
      default:
        this.#blocks.set(index, { kind: SKIP, stopped: false, id: "", name: "", args: "" });
        return out;
    }
  }

  /** Opens an output block for IR block `irIndex`, closing the open one first. */
  #open(irIndex: number, kind: number): string {
    const out = this.#closeOpen();
    const index = this.#next++;
    this.#openIr = irIndex;
    this.#openOut = index;
    return out +
      (kind === TEXT
        ? `event: content_block_start\ndata: {"type":"content_block_start","index":${index},"content_block":{"type":"text","text":""}}\n\n`
        : `event: content_block_start\ndata: {"type":"content_block_start","index":${index},"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n`);
  }

  #closeOpen(): string {
    if (this.#openOut < 0) return "";
    const index = this.#openOut;
    this.#openOut = -1;
    this.#openIr = -1;
    return `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}\n\n`;
  }

  #delta(irIndex: number, kind: number, deltaType: string, field: string, value: string): string {
    let out = "";
    let b = this.#blocks.get(irIndex);
    if (b === undefined) {
      // A delta without block_start (a lenient source): the block opens implicitly.
      out = this.#ensureStarted();
      b = { kind, stopped: false, id: "", name: "", args: "" };
      this.#blocks.set(irIndex, b);
    } else if (b.kind !== kind || b.stopped) {
      return ""; // a delta of the wrong kind, or after the block's stop: nothing valid to say
    }
    // Not the open block: first delta of an implicit block, or more text after another block closed this one.
    if (this.#openIr !== irIndex) out += this.#open(irIndex, kind);
    // Only the value needs escaping: one JSON.stringify of a string per frame.
    return out +
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":${this.#openOut},"delta":{"type":"${deltaType}","${field}":${
        JSON.stringify(value)
      }}}\n\n`;
  }

  #blockStop(irIndex: number): string {
    const b = this.#blocks.get(irIndex);
    if (b === undefined || b.stopped) return "";
    b.stopped = true;
    if (b.kind === TOOL) return this.#toolBlock(b);
    return this.#openIr === irIndex ? this.#closeOpen() : "";
  }

  /** A whole tool_use block: start, the arguments in one input_json_delta, stop. */
  #toolBlock(b: Block): string {
    const out = this.#closeOpen();
    const index = this.#next++;
    this.#sawToolCall = true;
    const json = toolInputJson(b.args);
    b.args = "";
    return out +
      frame("content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: claudeToolId(b.id), name: b.name, input: {} },
      }) +
      (json === ""
        ? ""
        : `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":${
          JSON.stringify(json)
        }}}\n\n`) +
      `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}\n\n`;
  }

  #end(): string {
    let out = this.#ensureStarted() + this.#closeOpen();
    // Tool calls whose block never stopped are complete now.
    for (const b of this.#blocks.values()) {
      if (b.kind === TOOL && !b.stopped) {
        b.stopped = true;
        out += this.#toolBlock(b);
      }
    }
    this.#done = true;
    return out +
      frame("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReasonToClaude(this.#stop, this.#sawToolCall), stop_sequence: null },
        usage: usageToClaude(this.#usage),
      }) +
      MESSAGE_STOP;
  }
}
