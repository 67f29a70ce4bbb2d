/**
 * The canonical intermediate representation (IR) every cross-format translation goes through: parse once into the IR,
 * render once out of it. Same-format requests never touch it.
 *
 * The shape follows Claude's content-block model, the richest of the four (thinking with signatures, tool calls and
 * results as parts), so no format loses information on the way in. Conventions:
 * - Tool results are parts of a `user` message (Claude's placement); formats that use a separate role split them out.
 * - Tool-call arguments are kept as the JSON *text* the source sent; renderers that need an object parse it (invalid
 *   JSON becomes `{}`, as CLIProxyAPI does).
 * - Usage `input` counts every prompt token, cached ones included; `cacheRead`/`cacheCreation` say how many of them
 *   were cached, so each format's formula (behaviour.md §4.3) is one subtraction away.
 */
import type { JsonObject, JsonValue, Usage, WireFormat } from "./wire-format.ts";

// ---------------------------------------------------------------------------------------------------------------
// Content

export type IrMediaSource =
  | { readonly kind: "base64"; readonly mediaType: string; readonly data: string }
  | { readonly kind: "url"; readonly url: string; readonly mediaType?: string }
  /** A provider-side file id (OpenAI `file_id`, Gemini `fileUri`). */
  | { readonly kind: "file-id"; readonly fileId: string; readonly mediaType?: string };

export interface IrTextPart {
  readonly type: "text";
  readonly text: string;
  /** Claude `cache_control`, carried so Claude→Claude-family renders keep prompt caching. */
  readonly cacheControl?: JsonObject;
}

export interface IrImagePart {
  readonly type: "image";
  readonly source: IrMediaSource;
  /** OpenAI `detail`. */
  readonly detail?: string;
}

/** Documents, audio, video: anything that is not an image. */
export interface IrFilePart {
  readonly type: "file";
  readonly source: IrMediaSource;
  readonly filename?: string;
}

export interface IrToolCallPart {
  readonly type: "tool_call";
  /** Call id; formats without ids (Gemini) get generated ones. */
  readonly id: string;
  readonly name: string;
  /** JSON text of the arguments, as the source sent it (`"{}"` when absent). */
  readonly arguments: string;
  /** Gemini `thoughtSignature` attached to a functionCall part. */
  readonly signature?: string;
}

export interface IrToolResultPart {
  readonly type: "tool_result";
  readonly callId: string;
  /** The tool's name when the source knows it (Gemini needs it). */
  readonly name?: string;
  readonly content: string | readonly (IrTextPart | IrImagePart | IrFilePart)[];
  readonly isError?: boolean;
}

export interface IrThinkingPart {
  readonly type: "thinking";
  readonly text: string;
  /** Claude `signature`, Gemini `thoughtSignature`, Codex `encrypted_content`. */
  readonly signature?: string;
  /** Which format family produced the signature: a foreign one cannot be replayed verbatim. */
  readonly signatureFormat?: WireFormat;
  /** Claude `redacted_thinking` (`data` in `signature`, `text` empty). */
  readonly redacted?: boolean;
}

export type IrPart = IrTextPart | IrImagePart | IrFilePart | IrToolCallPart | IrToolResultPart | IrThinkingPart;

export interface IrMessage {
  readonly role: "user" | "assistant";
  readonly content: readonly IrPart[];
}

// ---------------------------------------------------------------------------------------------------------------
// Request

export interface IrTool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the parameters (already an object; `{type:"object"}` when the source had none). */
  readonly parameters: JsonObject;
  readonly strict?: boolean;
}

export type IrToolChoice =
  | { readonly type: "auto" }
  | { readonly type: "none" }
  /** Must call some tool (OpenAI `required`, Claude `any`, Gemini `ANY`). */
  | { readonly type: "required" }
  | { readonly type: "tool"; readonly name: string };

/** Reasoning levels of behaviour.md §4.2. */
export type ReasoningLevel = "none" | "auto" | "minimal" | "low" | "medium" | "high" | "xhigh" | "max";

export interface IrReasoning {
  /** A level, when the source asked by level (`reasoning_effort`, `thinkingLevel`, adaptive effort). */
  readonly level?: ReasoningLevel;
  /** A token budget, when the source asked by budget (`budget_tokens`, `thinkingBudget`); -1 = dynamic. */
  readonly budget?: number;
  /** Gemini `includeThoughts`; Claude/OpenAI always return thinking when enabled. */
  readonly includeThoughts?: boolean;
}

export interface IrResponseFormat {
  readonly type: "text" | "json_object" | "json_schema";
  readonly name?: string;
  readonly schema?: JsonObject;
  readonly strict?: boolean;
}

export interface IrSampling {
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxTokens?: number;
  readonly stop?: readonly string[];
  /** Number of choices (OpenAI `n`, Gemini `candidateCount`). */
  readonly n?: number;
  readonly seed?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
}

export interface IrRequest {
  /** The model as the client named it (the router rewrites it for the upstream). */
  readonly model: string;
  readonly stream: boolean;
  /** System instructions, in order. */
  readonly system: readonly IrTextPart[];
  readonly messages: readonly IrMessage[];
  readonly tools: readonly IrTool[];
  readonly toolChoice?: IrToolChoice;
  readonly parallelToolCalls?: boolean;
  readonly sampling: IrSampling;
  readonly reasoning?: IrReasoning;
  readonly responseFormat?: IrResponseFormat;
  /** End-user / session identifiers (Claude `metadata.user_id`, OpenAI `user`, Responses `prompt_cache_key`). */
  readonly user?: string;
  /**
   * Fields the source format had that the IR has no place for, keyed as in the source body. A renderer for the same
   * format family may copy them back; others ignore them (and say so where it matters).
   */
  readonly extra: { readonly format: WireFormat; readonly fields: JsonObject } | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Response

export interface IrUsage {
  /** All prompt tokens, cached included. */
  readonly input: number;
  /** All generated tokens, reasoning included. */
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheCreation?: number;
  readonly reasoning?: number;
}

export type IrStopReason =
  | "end_turn"
  | "max_tokens"
  | "tool_use"
  | "stop_sequence"
  | "content_filter"
  | "refusal"
  | "pause_turn";

export interface IrResponse {
  readonly id: string;
  /** The model the upstream reported. */
  readonly model: string;
  /** Unix seconds. */
  readonly created: number;
  /** Text, thinking, tool calls and (Gemini) images, in order. */
  readonly content: readonly IrPart[];
  readonly stopReason: IrStopReason | null;
  /** The upstream's own finish reason, lower-cased (Gemini `native_finish_reason`). */
  readonly nativeStopReason?: string;
  readonly usage?: IrUsage;
}

// ---------------------------------------------------------------------------------------------------------------
// Stream events
//
// One message per stream. Content arrives in indexed blocks, opened and closed like Claude's; a renderer for a format
// without blocks (OpenAI chat, Gemini) just reads the deltas. `index` values are unique within a stream and increase.

export type IrBlock =
  | { readonly type: "text" }
  | { readonly type: "thinking" }
  | { readonly type: "tool_call"; readonly id: string; readonly name: string }
  /** Gemini `inlineData` output: the whole image in one block. */
  | { readonly type: "image"; readonly mediaType: string; readonly data: string };

export type IrStreamEvent =
  | { readonly type: "start"; readonly id: string; readonly model: string; readonly created: number; readonly usage?: IrUsage }
  | { readonly type: "block_start"; readonly index: number; readonly block: IrBlock }
  | { readonly type: "text_delta"; readonly index: number; readonly text: string }
  | { readonly type: "thinking_delta"; readonly index: number; readonly text: string }
  | { readonly type: "signature_delta"; readonly index: number; readonly signature: string }
  /** A fragment of a tool call's argument JSON text; fragments concatenate to the full text. */
  | { readonly type: "tool_args_delta"; readonly index: number; readonly partialJson: string }
  | { readonly type: "block_stop"; readonly index: number }
  /** Stop reason and/or usage; may come more than once (usage after the stop reason); later values win. */
  | {
    readonly type: "finish";
    readonly stopReason?: IrStopReason;
    readonly nativeStopReason?: string;
    readonly usage?: IrUsage;
  }
  /** An error reported inside the stream by the upstream. */
  | { readonly type: "error"; readonly status: number; readonly message: string; readonly errorType?: string }
  /** The upstream's terminal event: the stream is complete. */
  | { readonly type: "end" };

// ---------------------------------------------------------------------------------------------------------------
// Codecs: what each wire format folder provides

/** What a renderer may need to know beyond the IR itself. */
export interface RenderContext {
  /** The model name to put in the body (upstream name for requests, client-facing name for responses). */
  readonly model: string;
  readonly stream: boolean;
  /** Request query parameters (Gemini `alt`). */
  readonly query?: URLSearchParams;
  /** The client's User-Agent / Originator, for format quirks (Codex CLI error frames). */
  readonly userAgent?: string;
}

/** Turns upstream SSE events of one format into IR events. One instance per stream: it keeps per-stream state. */
export interface StreamParser {
  /** `event`/`data` of one upstream SSE event. */
  push(event: string | undefined, data: string, emit: (e: IrStreamEvent) => void): void;
  /** The upstream stream ended; flush anything pending (and emit `end` if the format ends implicitly). */
  end(emit: (e: IrStreamEvent) => void): void;
}

/** Turns IR events into client SSE text of one format. One instance per stream. */
export interface StreamRenderer {
  /** The SSE text (zero or more complete frames) for one event; "" when the event produces nothing. */
  push(e: IrStreamEvent): string;
}

export interface FormatCodec {
  readonly id: WireFormat;
  parseRequest(body: JsonObject): IrRequest;
  renderRequest(ir: IrRequest, ctx: RenderContext): JsonObject;
  parseResponse(body: JsonObject): IrResponse;
  renderResponse(ir: IrResponse, ctx: RenderContext): JsonObject;
  createStreamParser(ctx: RenderContext): StreamParser;
  createStreamRenderer(ctx: RenderContext): StreamRenderer;
}

/** Tool-call argument text as an object; invalid or non-object JSON becomes `{}` (CLIProxyAPI does the same). */
export function argumentsObject(text: string): JsonObject {
  if (text === "") return {};
  try {
    const v: JsonValue = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** IR usage → the core's accounting shape. */
export function usageFromIr(u: IrUsage): Usage {
  const usage: Usage = { inputTokens: u.input, outputTokens: u.output, totalTokens: u.input + u.output };
  if (u.cacheRead) usage.cachedTokens = u.cacheRead;
  if (u.reasoning) usage.reasoningTokens = u.reasoning;
  return usage;
}
