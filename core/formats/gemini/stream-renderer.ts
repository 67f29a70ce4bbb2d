/**
 * IR events → a Gemini `streamGenerateContent` answer. Each text or thought delta is one `GenerateContentResponse`
 * chunk; a function call is one chunk with its whole args (fragments are collected until its block stops); the last
 * chunk, on `end`, carries `finishReason` and `usageMetadata`. There is no `[DONE]`.
 *
 * Framing follows the client's `alt` (behaviour.md §1.3): none or `alt=sse` gives `data: <chunk>\n\n`; any other
 * `alt` gives the API's plain JSON stream, one array `[chunk,\r\nchunk…]` written as it grows.
 */
import { ProxyError } from "../../http/proxy-error.ts";
import { openAIErrorBody } from "../error-envelope.ts";
import {
  argumentsObject,
  type IrStopReason,
  type IrStreamEvent,
  type IrUsage,
  type RenderContext,
  type StreamRenderer,
} from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { geminiProfile } from "./profile.ts";
import { finishReasonFromStop, metadataFromUsage } from "./usage.ts";

interface ToolBlock {
  readonly id: string;
  readonly name: string;
  args: string;
  signature: string | undefined;
}

const CHUNK_HEAD = '{"candidates":[{"content":{"parts":[';
const CHUNK_MID = '],"role":"model"},"index":0}],';

export class GeminiStreamRenderer implements StreamRenderer {
  readonly #array: boolean;
  readonly #clientModel: string;
  #model = "";
  #id = "";
  /** `"modelVersion":…,"responseId":…}`, serialised once per stream (again only if `start` changes it). */
  #tail: string | null = null;
  #frames = 0;
  #done = false;
  readonly #tools = new Map<number, ToolBlock>();
  #stop: IrStopReason | undefined = undefined;
  #native: string | undefined = undefined;
  #usage: IrUsage | undefined = undefined;

  constructor(ctx: RenderContext) {
    const alt = ctx.query?.get("alt") ?? ctx.query?.get("$alt") ?? "";
    this.#array = alt !== "" && alt !== "sse";
    this.#clientModel = ctx.model;
  }

  push(e: IrStreamEvent): string {
    if (this.#done) return "";
    switch (e.type) {
      case "start":
        this.#id = e.id;
        this.#model = e.model;
        this.#tail = null;
        if (e.usage) this.#usage = e.usage;
        return "";
      case "block_start":
        if (e.block.type === "tool_call") {
          this.#tools.set(e.index, { id: e.block.id, name: e.block.name, args: "", signature: undefined });
        } else if (e.block.type === "image") {
          return this.#part(JSON.stringify({ inlineData: { mimeType: e.block.mediaType, data: e.block.data } }));
        }
        return "";
      case "text_delta":
        // Fast path: the part is built around one string escape.
        return e.text === "" ? "" : this.#part(`{"text":${JSON.stringify(e.text)}}`);
      case "thinking_delta":
        return e.text === "" ? "" : this.#part(`{"text":${JSON.stringify(e.text)},"thought":true}`);
      case "signature_delta": {
        // A call keeps its Gemini signature. A thinking signature's origin is unknown here (a Claude or Codex one
        // would be rejected if the client replayed it to Gemini), so thoughts go out unsigned.
        const tool = this.#tools.get(e.index);
        if (tool) tool.signature = e.signature;
        return "";
      }
      case "tool_args_delta": {
        const tool = this.#tools.get(e.index);
        if (tool) tool.args += e.partialJson;
        return "";
      }
      case "block_stop": {
        const tool = this.#tools.get(e.index);
        if (!tool) return "";
        this.#tools.delete(e.index);
        return this.#toolChunk(tool);
      }
      case "finish":
        if (e.stopReason !== undefined) this.#stop = e.stopReason;
        if (e.nativeStopReason !== undefined) this.#native = e.nativeStopReason;
        if (e.usage) this.#usage = e.usage;
        return "";
      case "error":
        return this.#error(e.status, e.message);
      case "end":
        return this.#end();
    }
  }

  #toolChunk(tool: ToolBlock): string {
    const call: JsonObject = { name: tool.name, args: argumentsObject(tool.args) };
    if (tool.id !== "") call.id = tool.id;
    const part: JsonObject = tool.signature
      ? { functionCall: call, thoughtSignature: tool.signature }
      : { functionCall: call };
    return this.#part(JSON.stringify(part));
  }

  /** One chunk holding one part (already JSON). */
  #part(partJson: string): string {
    return this.#frame(CHUNK_HEAD + partJson + CHUNK_MID + this.#tailJson());
  }

  #tailJson(): string {
    if (this.#tail === null) {
      const model = JSON.stringify(this.#clientModel || this.#model);
      this.#tail = `"modelVersion":${model},"responseId":${JSON.stringify(this.#id)}}`;
    }
    return this.#tail;
  }

  #frame(json: string): string {
    if (!this.#array) return `data: ${json}\n\n`;
    return (this.#frames++ === 0 ? "[" : ",\r\n") + json;
  }

  /** The final chunk: calls still open, then the finish reason and usage. */
  #end(): string {
    let out = "";
    for (const tool of this.#tools.values()) out += this.#toolChunk(tool);
    this.#tools.clear();
    const reason = JSON.stringify(finishReasonFromStop(this.#stop, this.#native));
    const usage = this.#usage ? `"usageMetadata":${JSON.stringify(metadataFromUsage(this.#usage))},` : "";
    out += this.#frame(
      `${CHUNK_HEAD}],"role":"model"},"finishReason":${reason},"index":0}],${usage}${this.#tailJson()}`,
    );
    if (this.#array) out += "]";
    this.#done = true;
    return out;
  }

  /** SSE: Gemini's own error chunk (see profile.ts); JSON stream: the OpenAI-style envelope as the last element. */
  #error(status: number, message: string): string {
    this.#done = true;
    const err = new ProxyError(status >= 400 && status < 600 ? status : 500, "upstream_stream_error", message);
    if (!this.#array) return geminiProfile.streamErrorFrame(err);
    return this.#frame(openAIErrorBody(err)) + "]";
  }
}
