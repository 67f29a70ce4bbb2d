/**
 * Responses requests (`POST /v1/responses`) ↔ IR. Parsing accepts what the OpenAI SDKs and Codex CLI send; rendering
 * produces a body the standard Responses API accepts. Codex-backend quirks belong to the codex provider (providers/codex/backend-quirks.ts).
 */
import type {
  IrFilePart,
  IrImagePart,
  IrMessage,
  IrPart,
  IrReasoning,
  IrRequest,
  IrResponseFormat,
  IrSampling,
  IrTextPart,
  IrThinkingPart,
  IrTool,
  IrToolChoice,
  IrToolResultPart,
  ReasoningLevel,
  RenderContext,
} from "../ir.ts";
import { isReasoningLevel, reasoningLevel } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { ProxyError } from "../../http/proxy-error.ts";
import { dataUrl, filenameFor, mediaTypeOfFilename, sourceFromUrl } from "./media.ts";
import { thinkingFromReasoning } from "./reasoning-item.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Top-level fields the IR has a place for; every other field is kept in `extra` for a Responses upstream. */
const MAPPED = new Set([
  "model",
  "stream",
  "instructions",
  "input",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "reasoning",
  "max_output_tokens",
  "temperature",
  "top_p",
  "text",
  "user",
]);

// ---------------------------------------------------------------------------------------------------------------
// Parse

/** Collects parts into messages, merging consecutive items of one role (assistant text + calls + reasoning). */
class MessageList {
  readonly messages: IrMessage[] = [];
  #role: IrMessage["role"] | null = null;
  #parts: IrPart[] = [];

  add(role: IrMessage["role"], part: IrPart): void {
    if (role !== this.#role) {
      this.flush();
      this.#role = role;
    }
    this.#parts.push(part);
  }

  flush(): void {
    if (this.#role !== null && this.#parts.length > 0) this.messages.push({ role: this.#role, content: this.#parts });
    this.#parts = [];
    this.#role = null;
  }
}

function imagePart(p: JsonObject): IrImagePart | null {
  // `image_url` is a string in Responses; Chat-style `{url, detail}` objects are accepted too.
  const nested = isJsonObject(p.image_url) ? p.image_url : undefined;
  const url = nested ? str(nested.url) : str(p.image_url);
  const detail = str(p.detail) ?? (nested ? str(nested.detail) : undefined);
  const fileId = str(p.file_id);
  const source = url ? sourceFromUrl(url, "image/png") : fileId ? { kind: "file-id" as const, fileId } : null;
  if (!source) return null;
  return detail !== undefined ? { type: "image", source, detail } : { type: "image", source };
}

function filePart(p: JsonObject): IrFilePart | null {
  const nested = isJsonObject(p.file) ? p.file : p; // Chat-style `{type:"file", file:{…}}`
  const filename = str(nested.filename);
  const guessed = mediaTypeOfFilename(filename);
  const data = str(nested.file_data);
  const url = str(nested.file_url);
  const fileId = str(nested.file_id);
  let source: IrFilePart["source"];
  if (data) {
    source = data.startsWith("data:")
      ? sourceFromUrl(data, guessed ?? "application/octet-stream")
      : { kind: "base64", mediaType: guessed ?? "application/octet-stream", data };
  } else if (url) {
    source = guessed ? { kind: "url", url, mediaType: guessed } : { kind: "url", url };
  } else if (fileId) {
    source = { kind: "file-id", fileId };
  } else {
    return null;
  }
  return filename !== undefined ? { type: "file", source, filename } : { type: "file", source };
}

/** One content part of a message or tool output; unknown part types are skipped. */
function contentPart(p: JsonValue): IrTextPart | IrImagePart | IrFilePart | null {
  if (typeof p === "string") return p === "" ? null : { type: "text", text: p };
  if (!isJsonObject(p)) return null;
  switch (p.type) {
    case "input_text":
    case "output_text":
    case "text":
    case "summary_text": {
      const text = str(p.text);
      return text ? { type: "text", text } : null;
    }
    case "refusal": {
      const text = str(p.refusal);
      return text ? { type: "text", text } : null;
    }
    case "input_image":
    case "image_url":
      return imagePart(p);
    case "input_file":
    case "file":
      return filePart(p);
  }
  return null;
}

function contentParts(content: JsonValue | undefined): (IrTextPart | IrImagePart | IrFilePart)[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  const out: (IrTextPart | IrImagePart | IrFilePart)[] = [];
  for (const p of content) {
    const part = contentPart(p);
    if (part) out.push(part);
  }
  return out;
}

function toolOutput(output: JsonValue | undefined): IrToolResultPart["content"] {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return contentParts(output);
  return output === undefined || output === null ? "" : JSON.stringify(output);
}

function argumentsText(v: JsonValue | undefined): string {
  if (typeof v === "string") return v === "" ? "{}" : v;
  return v === undefined || v === null ? "{}" : JSON.stringify(v);
}

function parseInput(input: JsonValue[], system: IrTextPart[], list: MessageList): void {
  let generated = 0;
  for (const item of input) {
    if (!isJsonObject(item)) continue;
    const type = str(item.type) ?? (item.role !== undefined ? "message" : "");
    switch (type) {
      case "message": {
        const role = str(item.role);
        const parts = contentParts(item.content);
        if (role === "system" || role === "developer") {
          for (const p of parts) if (p.type === "text") system.push(p);
        } else if (role === "user" || role === "assistant") {
          for (const p of parts) list.add(role, p);
        }
        break;
      }
      case "function_call":
      case "custom_tool_call": {
        const id = str(item.call_id) ?? str(item.id) ?? `call_${generated++}`;
        // Freeform (custom) tool input travels as `{"input": "..."}` so the history stays a valid call for any upstream.
        const args = type === "function_call"
          ? argumentsText(item.arguments)
          : JSON.stringify({ input: str(item.input) ?? "" });
        list.add("assistant", { type: "tool_call", id, name: str(item.name) ?? "", arguments: args });
        break;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        list.add("user", { type: "tool_result", callId: str(item.call_id) ?? "", content: toolOutput(item.output) });
        break;
      case "reasoning": {
        const part = thinkingFromReasoning(item);
        if (part) list.add("assistant", part);
        break;
      }
        // item_reference, built-in tool calls, compaction items: nothing a foreign upstream can use.
    }
  }
  list.flush();
}

function parseTool(t: JsonObject): IrTool | null {
  const fn = isJsonObject(t.function) ? t.function : t; // Chat-style nesting, sent by some clients by mistake
  const name = str(fn.name);
  if (!name) return null;
  const tool: Mutable<IrTool> = { name, parameters: isJsonObject(fn.parameters) ? fn.parameters : { type: "object" } };
  const description = str(fn.description);
  if (description !== undefined) tool.description = description;
  if (typeof fn.strict === "boolean") tool.strict = fn.strict;
  return tool;
}

function parseToolChoice(v: JsonValue | undefined, extra: JsonObject): IrToolChoice | undefined {
  if (v === "auto" || v === "none" || v === "required") return { type: v };
  if (!isJsonObject(v)) return undefined;
  if (v.type === "function") {
    const name = str(v.name) ?? (isJsonObject(v.function) ? str(v.function.name) : undefined);
    if (name) return { type: "tool", name };
  }
  extra.tool_choice = v; // allowed_tools, built-in tool choices
  return undefined;
}

function parseResponseFormat(format: JsonObject): IrResponseFormat | undefined {
  switch (format.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const rf: Mutable<IrResponseFormat> = { type: "json_schema" };
      const name = str(format.name);
      if (name !== undefined) rf.name = name;
      if (isJsonObject(format.schema)) rf.schema = format.schema;
      if (typeof format.strict === "boolean") rf.strict = format.strict;
      return rf;
    }
  }
  return undefined;
}

/** A Responses request body → IR. Throws a 400 only when `input` has a shape no client can mean. */
export function parseResponsesRequest(body: JsonObject): IrRequest {
  const extra: JsonObject = {};
  for (const key in body) if (!MAPPED.has(key)) extra[key] = body[key]!;

  const system: IrTextPart[] = [];
  const instructions = str(body.instructions);
  if (instructions) system.push({ type: "text", text: instructions });

  const list = new MessageList();
  const input = body.input;
  if (typeof input === "string") {
    if (input !== "") list.add("user", { type: "text", text: input });
    list.flush();
  } else if (Array.isArray(input)) {
    parseInput(input, system, list);
  } else if (input !== undefined && input !== null) {
    throw new ProxyError(400, "bad_request", "Invalid 'input': expected a string or an array of input items");
  }

  const tools: IrTool[] = [];
  if (Array.isArray(body.tools)) {
    const builtIn: JsonValue[] = [];
    for (const t of body.tools) {
      if (!isJsonObject(t)) continue;
      if (t.type === "function") {
        const tool = parseTool(t);
        if (tool) tools.push(tool);
      } else {
        builtIn.push(t); // web_search, file_search, mcp, custom, …: only a Responses upstream knows them
      }
    }
    if (builtIn.length > 0) extra.tools = builtIn;
  }

  const sampling: Mutable<IrSampling> = {};
  const maxTokens = num(body.max_output_tokens);
  if (maxTokens !== undefined) sampling.maxTokens = maxTokens;
  const temperature = num(body.temperature);
  if (temperature !== undefined) sampling.temperature = temperature;
  const topP = num(body.top_p);
  if (topP !== undefined) sampling.topP = topP;

  const ir: Mutable<IrRequest> = {
    model: str(body.model) ?? "",
    stream: body.stream === true,
    system,
    messages: list.messages,
    tools,
    sampling,
    extra: null,
  };

  const toolChoice = parseToolChoice(body.tool_choice, extra);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === "boolean") ir.parallelToolCalls = body.parallel_tool_calls;

  if (isJsonObject(body.reasoning)) {
    const { effort, ...rest } = body.reasoning;
    const reasoning: Mutable<IrReasoning> = {};
    if (isReasoningLevel(effort)) reasoning.level = effort;
    const summary = str(rest.summary) ?? str(rest.generate_summary);
    // A summary is how a Responses client asks to see reasoning: other formats call it "include thoughts".
    if (summary !== undefined && summary !== "none") reasoning.includeThoughts = true;
    if (reasoning.level !== undefined || reasoning.includeThoughts) ir.reasoning = reasoning;
    if (Object.keys(rest).length > 0) extra.reasoning = rest;
  }

  if (isJsonObject(body.text)) {
    const { format, ...rest } = body.text;
    const rf = isJsonObject(format) ? parseResponseFormat(format) : undefined;
    if (rf) ir.responseFormat = rf;
    if (Object.keys(rest).length > 0) extra.text = rest; // verbosity
  }

  const user = str(body.user) ?? str(body.prompt_cache_key);
  if (user !== undefined) ir.user = user;

  if (Object.keys(extra).length > 0) ir.extra = { format: "openai-responses", fields: extra };
  return ir;
}

// ---------------------------------------------------------------------------------------------------------------
// Render

export interface ResponsesRenderOptions {
  /**
   * Where IR system text goes: `instructions` (standard API; the default) or one leading `developer` message with
   * `instructions: ""` (what CPA sends the Codex backend, which validates `instructions`).
   */
  readonly systemAs?: "instructions" | "developer";
  /** Effort used when the request asks for none; the Codex backend gets "medium" (behaviour.md vector 15). */
  readonly defaultEffort?: ReasoningLevel;
}

/** What the Codex provider passes: CPA's Chat/Claude/Gemini → Codex shape. */
export const CODEX_RENDER_OPTIONS: ResponsesRenderOptions = Object.freeze({
  systemAs: "developer",
  defaultEffort: "medium",
});

/** IR level → Responses `reasoning.effort` (which has no "auto" and tops out at "xhigh"). */
function effortOf(level: ReasoningLevel | undefined): string | undefined {
  if (level === "auto") return undefined;
  if (level === "max") return "xhigh";
  return level;
}

/** Fernet-token prefix of OpenAI `encrypted_content`: such a signature replays even when another codec carried it. */
const OPENAI_ENCRYPTED_PREFIX = "gAAAA";

function replayable(p: IrThinkingPart): p is IrThinkingPart & { signature: string } {
  if (!p.signature || p.redacted) return false;
  return p.signatureFormat === "openai-responses" || p.signature.startsWith(OPENAI_ENCRYPTED_PREFIX);
}

function inputImage(p: IrImagePart): JsonObject {
  const out: JsonObject = { type: "input_image" };
  const s = p.source;
  if (s.kind === "file-id") out.file_id = s.fileId;
  else out.image_url = s.kind === "base64" ? dataUrl(s.mediaType, s.data) : s.url;
  if (p.detail !== undefined) out.detail = p.detail;
  return out;
}

function inputFile(p: IrFilePart): JsonObject {
  const out: JsonObject = { type: "input_file" };
  const s = p.source;
  if (s.kind === "file-id") out.file_id = s.fileId;
  else if (s.kind === "url") out.file_url = s.url;
  else {
    out.file_data = dataUrl(s.mediaType, s.data);
    out.filename = p.filename ?? filenameFor(s.mediaType);
    return out;
  }
  if (p.filename !== undefined) out.filename = p.filename;
  return out;
}

/** A tool result's `output`: text stays a string (parts joined); images and files make it a content list. */
function functionOutput(content: IrToolResultPart["content"]): JsonValue {
  if (typeof content === "string") return content;
  if (content.every((p) => p.type === "text")) return content.map((p) => (p as IrTextPart).text).join("\n");
  return content.map((p): JsonObject =>
    p.type === "text" ? { type: "input_text", text: p.text } : p.type === "image" ? inputImage(p) : inputFile(p)
  );
}

function renderMessages(ir: IrRequest, input: JsonObject[]): void {
  for (const msg of ir.messages) {
    const role = msg.role;
    let content: JsonObject[] = [];
    const flush = () => {
      if (content.length === 0) return;
      input.push({ type: "message", role, content });
      content = [];
    };
    for (const p of msg.content) {
      switch (p.type) {
        case "text":
          if (p.text !== "") content.push({ type: role === "user" ? "input_text" : "output_text", text: p.text });
          break;
        // Assistant input content may only be output text: model-made images/files cannot be replayed.
        case "image":
          if (role === "user") content.push(inputImage(p));
          break;
        case "file":
          if (role === "user") content.push(inputFile(p));
          break;
        case "tool_call":
          flush();
          input.push({ type: "function_call", call_id: p.id, name: p.name, arguments: p.arguments || "{}" });
          break;
        case "tool_result":
          flush();
          input.push({ type: "function_call_output", call_id: p.callId, output: functionOutput(p.content) });
          break;
        case "thinking":
          // Only OpenAI's own encrypted reasoning can be replayed; other signatures would be rejected.
          if (!replayable(p)) break;
          flush();
          input.push({
            type: "reasoning",
            summary: p.text ? [{ type: "summary_text", text: p.text }] : [],
            encrypted_content: p.signature,
          });
          break;
      }
    }
    flush();
  }
}

function renderTool(t: IrTool): JsonObject {
  const out: JsonObject = { type: "function", name: t.name };
  if (t.description !== undefined) out.description = t.description;
  let parameters = t.parameters;
  if ("$schema" in parameters) {
    const { $schema: _, ...rest } = parameters;
    parameters = rest;
  }
  out.parameters = parameters;
  // The Responses API defaults `strict` to true, which rejects most schemas written for other APIs.
  out.strict = t.strict ?? false;
  return out;
}

function renderResponseFormat(rf: IrResponseFormat): JsonObject {
  if (rf.type !== "json_schema") return { type: rf.type };
  const out: JsonObject = { type: "json_schema", name: rf.name ?? "response", schema: rf.schema ?? { type: "object" } };
  if (rf.strict !== undefined) out.strict = rf.strict;
  return out;
}

/**
 * IR → a Responses request body. Fields a Responses client sent that the IR has no place for (`extra`) are restored;
 * sampling fields Responses lacks (top_k, stop, n, seed, penalties) are dropped.
 */
export function renderResponsesRequest(
  ir: IrRequest,
  ctx: RenderContext,
  options: ResponsesRenderOptions = {},
): JsonObject {
  const same = ir.extra?.format === "openai-responses" ? ir.extra.fields : null;
  const body: JsonObject = same ? { ...same } : {};
  body.model = ctx.model;

  const input: JsonObject[] = [];
  if (ir.system.length > 0) {
    if (options.systemAs === "developer") {
      body.instructions = "";
      input.push({
        type: "message",
        role: "developer",
        content: ir.system.map((p): JsonObject => ({ type: "input_text", text: p.text })),
      });
    } else {
      body.instructions = ir.system.map((p) => p.text).join("\n\n");
    }
  }
  renderMessages(ir, input);
  body.input = input;

  const builtIn = same && Array.isArray(same.tools) ? same.tools : [];
  if (ir.tools.length > 0 || builtIn.length > 0) body.tools = [...ir.tools.map(renderTool), ...builtIn];
  const tc = ir.toolChoice;
  if (tc) body.tool_choice = tc.type === "tool" ? { type: "function", name: tc.name } : tc.type;
  if (ir.parallelToolCalls !== undefined) body.parallel_tool_calls = ir.parallelToolCalls;

  const effort = effortOf(ir.reasoning ? reasoningLevel(ir.reasoning) : undefined) ?? effortOf(options.defaultEffort);
  const reasoning: JsonObject = same && isJsonObject(same.reasoning) ? { ...same.reasoning } : {};
  if (effort !== undefined) reasoning.effort = effort;
  if (ir.reasoning?.includeThoughts && reasoning.summary === undefined) reasoning.summary = "auto";
  if (Object.keys(reasoning).length > 0) body.reasoning = reasoning;
  else delete body.reasoning;

  if (ir.responseFormat) {
    const text: JsonObject = same && isJsonObject(same.text) ? { ...same.text } : {};
    text.format = renderResponseFormat(ir.responseFormat);
    body.text = text;
  }

  const s = ir.sampling;
  if (s.maxTokens !== undefined) body.max_output_tokens = s.maxTokens;
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  // A Responses client's prompt_cache_key doubles as the IR user; do not turn it into a `user` field.
  if (ir.user !== undefined && ir.user !== same?.prompt_cache_key) body.user = ir.user;
  body.stream = ctx.stream;
  return body;
}
