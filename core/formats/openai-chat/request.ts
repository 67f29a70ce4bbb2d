/**
 * Chat Completions request body ↔ IR request.
 *
 * OpenAI keeps tool results in their own `tool` messages, which must follow the assistant message with the calls;
 * the IR keeps them as parts of a user message (Claude's placement). Parsing puts every result right after the
 * turn that made its call, wherever the client sent it; rendering splits them back out in the same place.
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
  IrTool,
  IrToolCallPart,
  IrToolChoice,
  IrToolResultPart,
  RenderContext,
} from "../ir.ts";
import { isReasoningLevel, reasoningLevel } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { ProxyError } from "../../http/proxy-error.ts";
import { argumentsText, arr, bool, type Mutable, num, obj, randomId, str } from "./json.ts";
import {
  audioFormat,
  audioMediaType,
  mediaTypeOfFilename,
  parseDataUrl,
  sourceFromUrl,
  urlFromSource,
  urlOf,
} from "./media.ts";

type ContentPart = IrTextPart | IrImagePart | IrFilePart;

/** Body fields the IR holds; everything else is kept in `extra` for a same-family render. */
const MAPPED = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "functions",
  "tool_choice",
  "function_call",
  "parallel_tool_calls",
  "response_format",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "n",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "reasoning_effort",
  "reasoning",
  "user",
]);

// ---------------------------------------------------------------------------------------------------------------
// Parse

export function parseChatRequest(body: JsonObject): IrRequest {
  const raw = body.messages;
  if (!Array.isArray(raw)) {
    throw new ProxyError(400, "bad_request", "Invalid request: 'messages' must be an array of messages", {
      param: "messages",
    });
  }
  const system: IrTextPart[] = [];
  const messages: IrMessage[] = [];

  // Pass 1: call names (Gemini needs them on results) and the last result per call id (a re-sent result replaces
  // the earlier one, as CLIProxyAPI does).
  const names = new Map<string, string>();
  const results = new Map<string, JsonObject>();
  for (const m of raw) {
    if (!isJsonObject(m)) continue;
    if (m.role === "tool") {
      const id = str(m.tool_call_id);
      if (id) results.set(id, m);
    } else if (m.role === "assistant") {
      for (const tc of arr(m.tool_calls) ?? []) {
        const t = obj(tc);
        const fn = t && obj(t.function);
        const id = t && str(t.id);
        const name = fn && str(fn.name);
        if (id && name) names.set(id, name);
      }
    }
  }

  const placed = new Set<string>();
  // The user message holding tool results while it is the last message: consecutive results join it.
  let toolTurn: IrPart[] | null = null;
  // Deprecated `function_call`/`function` messages carry no ids: the latest call id per function name.
  const legacyIds = new Map<string, string>();
  const addResult = (part: IrToolResultPart): void => {
    if (toolTurn) toolTurn.push(part);
    else {
      toolTurn = [part];
      messages.push({ role: "user", content: toolTurn });
    }
  };

  for (const m of raw) {
    if (!isJsonObject(m)) continue;
    switch (m.role) {
      case "system":
      case "developer": {
        const parts: ContentPart[] = [];
        contentParts(m.content, parts);
        for (const p of withMessageCache(m, parts)) if (p.type === "text") system.push(p);
        break;
      }
      case "user": {
        const parts: ContentPart[] = [];
        contentParts(m.content, parts);
        if (parts.length === 0) break;
        messages.push({ role: "user", content: withMessageCache(m, parts) });
        toolTurn = null;
        break;
      }
      case "assistant": {
        const parts: IrPart[] = [];
        const reasoning = str(m.reasoning_content) || str(m.reasoning);
        if (reasoning) parts.push({ type: "thinking", text: reasoning });
        contentParts(m.content, parts);
        const refusal = str(m.refusal);
        if (refusal && !parts.some((p) => p.type === "text")) parts.push({ type: "text", text: refusal });
        const callIds: string[] = [];
        for (const tc of arr(m.tool_calls) ?? []) {
          const call = toolCallPart(tc);
          if (!call) continue;
          parts.push(call);
          callIds.push(call.id);
        }
        const fc = obj(m.function_call);
        const fcName = fc && str(fc.name);
        if (fc && fcName) {
          const id = randomId("call_");
          legacyIds.set(fcName, id);
          parts.push({ type: "tool_call", id, name: fcName, arguments: argumentsText(fc.arguments) || "{}" });
        }
        if (parts.length === 0) break;
        messages.push({ role: "assistant", content: parts });
        toolTurn = null;
        // Results answer their call: they go right after it, wherever the client put them.
        for (const id of callIds) {
          const r = results.get(id);
          if (r && !placed.has(id)) {
            placed.add(id);
            addResult(toolResultPart(id, names.get(id), r.content));
          }
        }
        break;
      }
      case "tool": {
        const id = str(m.tool_call_id) ?? "";
        if (id && placed.has(id)) break;
        if (id) placed.add(id);
        addResult(toolResultPart(id, names.get(id), (results.get(id) ?? m).content));
        break;
      }
      case "function": {
        const name = str(m.name) ?? "";
        addResult(toolResultPart(legacyIds.get(name) ?? randomId("call_"), name || undefined, m.content));
        break;
      }
        // Unknown roles carry nothing the IR can place.
    }
  }

  const ir: Mutable<IrRequest> = {
    model: str(body.model) ?? "",
    stream: body.stream === true,
    system,
    messages,
    tools: parseTools(body),
    sampling: parseSampling(body),
    extra: null,
  };
  const toolChoice = parseToolChoice(body.tool_choice ?? body.function_call);
  if (toolChoice) ir.toolChoice = toolChoice;
  const parallel = bool(body.parallel_tool_calls);
  if (parallel !== undefined) ir.parallelToolCalls = parallel;
  const reasoning = parseReasoning(body);
  if (reasoning) ir.reasoning = reasoning;
  const format = parseResponseFormat(obj(body.response_format));
  if (format) ir.responseFormat = format;
  const user = str(body.user);
  if (user) ir.user = user;
  let extra: JsonObject | null = null;
  for (const key of Object.keys(body)) {
    if (!MAPPED.has(key)) (extra ??= {})[key] = body[key]!;
  }
  if (extra) ir.extra = { format: "openai-chat", fields: extra };
  return ir;
}

/** Content (a string or an array of parts) → IR parts appended to `out`; unknown part types are skipped. */
export function contentParts(content: JsonValue | undefined, out: IrPart[]): void {
  if (typeof content === "string") {
    if (content !== "") out.push({ type: "text", text: content });
    return;
  }
  if (isJsonObject(content)) {
    contentPart(content, out);
    return;
  }
  for (const p of arr(content) ?? []) {
    if (typeof p === "string") {
      if (p !== "") out.push({ type: "text", text: p });
    } else if (isJsonObject(p)) contentPart(p, out);
  }
}

function contentPart(p: JsonObject, out: IrPart[]): void {
  switch (p.type) {
    case "text":
    case "input_text":
    case "output_text": {
      const text = str(p.text);
      if (!text) return;
      const cache = obj(p.cache_control);
      out.push(cache ? { type: "text", text, cacheControl: cache } : { type: "text", text });
      return;
    }
    case "refusal": {
      const text = str(p.refusal);
      if (text) out.push({ type: "text", text });
      return;
    }
    case "image_url": {
      const url = urlOf(p.image_url);
      if (!url) return;
      const detail = str(obj(p.image_url)?.detail);
      const part: Mutable<IrImagePart> = { type: "image", source: sourceFromUrl(url) };
      if (detail) part.detail = detail;
      out.push(part);
      return;
    }
    case "input_audio": {
      const audio = obj(p.input_audio);
      const data = audio && str(audio.data);
      if (audio && data) {
        out.push({ type: "file", source: { kind: "base64", mediaType: audioMediaType(str(audio.format)), data } });
      }
      return;
    }
    case "file": {
      const file = obj(p.file);
      if (!file) return;
      const filename = str(file.filename);
      const fileData = str(file.file_data);
      const fileId = str(file.file_id);
      let part: Mutable<IrFilePart> | undefined;
      if (fileData) {
        const d = parseDataUrl(fileData);
        part = {
          type: "file",
          source: d
            ? { kind: "base64", mediaType: d.mediaType, data: d.data }
            : { kind: "base64", mediaType: mediaTypeOfFilename(filename), data: fileData },
        };
      } else if (fileId) part = { type: "file", source: { kind: "file-id", fileId } };
      if (!part) return;
      if (filename) part.filename = filename;
      out.push(part);
      return;
    }
    case "video_url": {
      const url = urlOf(p.video_url);
      if (url) out.push({ type: "file", source: sourceFromUrl(url) });
      return;
    }
  }
}

/** A message-level `cache_control` (a CLIProxyAPI extension) marks the message's last text part. */
function withMessageCache<P extends IrPart>(m: JsonObject, parts: P[]): P[] {
  const cache = obj(m.cache_control);
  const last = parts[parts.length - 1];
  if (cache && last && last.type === "text" && !last.cacheControl) {
    parts[parts.length - 1] = { ...last, cacheControl: cache };
  }
  return parts;
}

function toolCallPart(v: JsonValue): IrToolCallPart | null {
  const tc = obj(v);
  const fn = tc && obj(tc.function);
  if (!tc || !fn || (tc.type !== undefined && tc.type !== "function")) return null;
  const name = str(fn.name);
  if (!name) return null;
  const part: Mutable<IrToolCallPart> = {
    type: "tool_call",
    id: str(tc.id) || randomId("call_"),
    name,
    arguments: argumentsText(fn.arguments) || "{}",
  };
  // Gemini's OpenAI endpoint returns thought signatures here; a Gemini render can replay them.
  const google = obj(obj(tc.extra_content)?.google);
  const signature = google && str(google.thought_signature);
  if (signature) part.signature = signature;
  return part;
}

function toolResultPart(callId: string, name: string | undefined, content: JsonValue | undefined): IrToolResultPart {
  const part: Mutable<IrToolResultPart> = { type: "tool_result", callId, content: toolResultContent(content) };
  if (name) part.name = name;
  return part;
}

function toolResultContent(v: JsonValue | undefined): IrToolResultPart["content"] {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (Array.isArray(v) || isJsonObject(v)) {
    const parts: ContentPart[] = [];
    contentParts(v, parts);
    if (parts.length > 0 || Array.isArray(v)) return parts;
  }
  // A bare object or number: hand the tool's output on as its JSON text.
  return JSON.stringify(v);
}

function parseTools(body: JsonObject): IrTool[] {
  const tools: IrTool[] = [];
  for (const t of arr(body.tools) ?? []) {
    const o = obj(t);
    if (!o || (o.type !== undefined && o.type !== "function")) continue; // built-in tools have no IR form
    const tool = parseFunction(obj(o.function));
    if (tool) tools.push(tool);
  }
  if (tools.length === 0) {
    for (const f of arr(body.functions) ?? []) {
      const tool = parseFunction(obj(f));
      if (tool) tools.push(tool);
    }
  }
  return tools;
}

function parseFunction(fn: JsonObject | undefined): IrTool | null {
  const name = fn && str(fn.name);
  if (!fn || !name) return null;
  const tool: Mutable<IrTool> = { name, parameters: obj(fn.parameters) ?? { type: "object", properties: {} } };
  const description = str(fn.description);
  if (description) tool.description = description;
  const strict = bool(fn.strict);
  if (strict !== undefined) tool.strict = strict;
  return tool;
}

function parseToolChoice(v: JsonValue | undefined): IrToolChoice | undefined {
  switch (v) {
    case "auto":
    case "none":
    case "required":
      return { type: v };
    case "any":
      return { type: "required" };
  }
  const o = obj(v);
  if (!o) return undefined;
  // `{type:"function",function:{name}}`, or the deprecated `function_call: {name}`.
  const name = str(obj(o.function)?.name) ?? str(o.name);
  return name ? { type: "tool", name } : undefined;
}

function parseReasoning(body: JsonObject): IrReasoning | undefined {
  const effort = str(body.reasoning_effort)?.trim().toLowerCase();
  if (isReasoningLevel(effort)) return { level: effort };
  // OpenRouter-style `reasoning: {effort | max_tokens}`, sent by some OpenAI-compatible clients.
  const r = obj(body.reasoning);
  if (!r) return undefined;
  const level = str(r.effort)?.trim().toLowerCase();
  if (isReasoningLevel(level)) return { level };
  const budget = num(r.max_tokens);
  return budget !== undefined ? { budget } : undefined;
}

function parseResponseFormat(rf: JsonObject | undefined): IrResponseFormat | undefined {
  switch (rf?.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const js = obj(rf.json_schema);
      const out: Mutable<IrResponseFormat> = { type: "json_schema" };
      const name = js && str(js.name);
      if (name) out.name = name;
      const schema = js && obj(js.schema);
      if (schema) out.schema = schema;
      const strict = js && bool(js.strict);
      if (strict !== undefined) out.strict = strict;
      return out;
    }
  }
  return undefined;
}

/** Sampling fields shared with the legacy Completions body. */
export function parseSampling(body: JsonObject): IrSampling {
  const s: Mutable<IrSampling> = {};
  // CLIProxyAPI takes `max_tokens` first, then the newer spelling.
  const maxTokens = num(body.max_tokens) ?? num(body.max_completion_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const temperature = num(body.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = num(body.top_p);
  if (topP !== undefined) s.topP = topP;
  const topK = num(body.top_k);
  if (topK !== undefined) s.topK = topK;
  const stop = body.stop;
  if (typeof stop === "string") {
    if (stop !== "") s.stop = [stop];
  } else if (Array.isArray(stop)) {
    const list = stop.filter((x): x is string => typeof x === "string" && x !== "");
    if (list.length > 0) s.stop = list;
  }
  const n = num(body.n);
  if (n !== undefined) s.n = n;
  const seed = num(body.seed);
  if (seed !== undefined) s.seed = seed;
  const presence = num(body.presence_penalty);
  if (presence !== undefined) s.presencePenalty = presence;
  const frequency = num(body.frequency_penalty);
  if (frequency !== undefined) s.frequencyPenalty = frequency;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Render

export interface ChatRenderOptions {
  /**
   * Send unsigned thinking back as assistant `reasoning_content`. Off by default: OpenAI rejects unknown message
   * fields and older DeepSeek reasoners reject this one; a provider whose upstream wants it (DeepSeek thinking mode
   * with tools, Kimi) turns it on, as CLIProxyAPI's compatibility entries do.
   */
  readonly reasoningContent?: boolean;
}

export function renderChatRequest(ir: IrRequest, ctx: RenderContext, options: ChatRenderOptions = {}): JsonObject {
  const messages: JsonValue[] = [];
  const systemText = joinText(ir.system, "\n\n");
  // One string: every OpenAI-compatible server takes it, not all take an array of parts for the system role.
  if (systemText) messages.push({ role: "system", content: systemText });

  // Results by call id (the last wins), so each lands right after the assistant message with its call.
  const results = new Map<string, IrToolResultPart>();
  for (const m of ir.messages) {
    if (m.role !== "user") continue;
    for (const p of m.content) if (p.type === "tool_result") results.set(p.callId, p);
  }
  const placed = new Set<string>();
  for (const m of ir.messages) {
    if (m.role === "assistant") {
      const out = assistantMessage(m, options.reasoningContent === true);
      if (!out) continue;
      messages.push(out);
      for (const p of m.content) {
        if (p.type !== "tool_call") continue;
        const r = results.get(p.id);
        if (r && !placed.has(p.id)) {
          placed.add(p.id);
          messages.push(toolMessage(r));
        }
      }
      continue;
    }
    const content: JsonObject[] = [];
    for (const p of m.content) {
      if (p.type === "tool_result") {
        // An orphan result (its call is not in the history) stays where it was.
        if (!placed.has(p.callId)) {
          placed.add(p.callId);
          messages.push(toolMessage(results.get(p.callId) ?? p));
        }
        continue;
      }
      const rendered = p.type === "text" || p.type === "image" || p.type === "file" ? renderContentPart(p) : null;
      if (rendered) content.push(rendered);
    }
    if (content.length > 0) messages.push({ role: "user", content: simpleContent(content) });
  }

  const out: JsonObject = { model: ctx.model, messages };
  if (ir.tools.length > 0) {
    out.tools = ir.tools.map(renderTool);
    // OpenAI rejects tool_choice / parallel_tool_calls without tools.
    if (ir.toolChoice) out.tool_choice = renderToolChoice(ir.toolChoice);
    if (ir.parallelToolCalls !== undefined) out.parallel_tool_calls = ir.parallelToolCalls;
  }
  renderSampling(ir.sampling, out);
  const level = ir.reasoning && reasoningLevel(ir.reasoning);
  // Every level is passed on, none and auto included, as CLIProxyAPI does for OpenAI-compatible upstreams; clamping
  // to what the model supports happens where thinking is validated against the model.
  if (level) out.reasoning_effort = level;
  if (ir.responseFormat) out.response_format = renderResponseFormat(ir.responseFormat);
  if (ir.user) out.user = ir.user;
  out.stream = ctx.stream;
  if (ctx.stream) out.stream_options = { include_usage: true };
  copyExtra(ir, out);
  return out;
}

function assistantMessage(m: IrMessage, withReasoning: boolean): JsonObject | null {
  let text = "";
  let reasoning = "";
  const calls: JsonObject[] = [];
  for (const p of m.content) {
    if (p.type === "text") text += p.text;
    else if (p.type === "tool_call") {
      calls.push({ id: p.id, type: "function", function: { name: p.name, arguments: p.arguments || "{}" } });
    } else if (p.type === "thinking" && withReasoning && !p.redacted && !p.signature && p.text) {
      // Signed thinking belongs to the model family that signed it; only plain reasoning text is replayed.
      reasoning += reasoning ? `\n\n${p.text}` : p.text;
    }
    // Images in assistant turns: OpenAI accepts none there.
  }
  if (!text && calls.length === 0 && !reasoning) return null;
  const out: JsonObject = { role: "assistant", content: text || (calls.length > 0 ? null : "") };
  if (reasoning) out.reasoning_content = reasoning;
  if (calls.length > 0) out.tool_calls = calls;
  return out;
}

function toolMessage(r: IrToolResultPart): JsonObject {
  let content: JsonValue;
  if (typeof r.content === "string") content = r.content;
  else if (r.content.every((p) => p.type === "text")) content = joinText(r.content as readonly IrTextPart[], "\n\n");
  else {
    const parts: JsonObject[] = [];
    for (const p of r.content) {
      const rendered = renderContentPart(p);
      if (rendered) parts.push(rendered);
    }
    content = parts;
  }
  // OpenAI has no error flag on tool results; the text is what the model sees either way.
  return { role: "tool", tool_call_id: r.callId, content };
}

export function renderContentPart(p: ContentPart): JsonObject | null {
  if (p.type === "text") return { type: "text", text: p.text };
  const s = p.source;
  if (p.type === "image") {
    const url = urlFromSource(s);
    if (!url) return null; // a provider file id names no image OpenAI can fetch
    const image: JsonObject = { url };
    if (p.detail) image.detail = p.detail;
    return { type: "image_url", image_url: image };
  }
  if (s.kind === "file-id") return { type: "file", file: { file_id: s.fileId } };
  if (s.kind === "url") {
    // Chat has no file-by-URL part; an image URL still works as one.
    return s.mediaType?.startsWith("image/") ? { type: "image_url", image_url: { url: s.url } } : null;
  }
  const format = audioFormat(s.mediaType);
  if (format) return { type: "input_audio", input_audio: { data: s.data, format } };
  if (s.mediaType.startsWith("image/")) return { type: "image_url", image_url: { url: urlFromSource(s)! } };
  const file: JsonObject = { file_data: urlFromSource(s)! };
  if (p.filename) file.filename = p.filename;
  return { type: "file", file };
}

/** One plain text part travels as a string, the form every OpenAI-compatible server accepts. */
function simpleContent(parts: JsonObject[]): JsonValue {
  const only = parts.length === 1 ? parts[0]! : undefined;
  return only && only.type === "text" ? only.text! : parts;
}

function joinText(parts: readonly IrTextPart[], sep: string): string {
  let out = "";
  for (const p of parts) {
    if (!p.text) continue;
    out += out ? sep + p.text : p.text;
  }
  return out;
}

function renderTool(t: IrTool): JsonObject {
  const fn: JsonObject = { name: t.name };
  if (t.description) fn.description = t.description;
  fn.parameters = withObjectProperties(t.parameters);
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: "function", function: fn };
}

/** OpenAI rejects an object schema without `properties` ("object schema missing properties"): add empty ones. */
function withObjectProperties<V extends JsonValue>(v: V): V {
  if (Array.isArray(v)) {
    let copy: JsonValue[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const c = withObjectProperties(v[i]!);
      if (c !== v[i]) (copy ??= v.slice())[i] = c;
    }
    return (copy ?? v) as V;
  }
  if (!isJsonObject(v)) return v;
  let copy: JsonObject | null = null;
  for (const k of Object.keys(v)) {
    const c = withObjectProperties(v[k]!);
    if (c !== v[k]) (copy ??= { ...v })[k] = c;
  }
  if (v.type === "object" && !("properties" in v)) (copy ??= { ...v }).properties = {};
  return (copy ?? v) as V;
}

function renderToolChoice(c: IrToolChoice): JsonValue {
  return c.type === "tool" ? { type: "function", function: { name: c.name } } : c.type;
}

function renderResponseFormat(f: IrResponseFormat): JsonObject {
  if (f.type !== "json_schema") return { type: f.type };
  // OpenAI requires a name and a schema.
  const js: JsonObject = { name: f.name ?? "response", schema: f.schema ?? { type: "object" } };
  if (f.strict !== undefined) js.strict = f.strict;
  return { type: "json_schema", json_schema: js };
}

/** Sampling fields shared with the legacy Completions body. `top_k` is not an OpenAI parameter and is left out. */
export function renderSampling(s: IrSampling, out: JsonObject): void {
  // `max_tokens` rather than `max_completion_tokens`: the spelling every OpenAI-compatible server knows.
  if (s.maxTokens !== undefined) out.max_tokens = s.maxTokens;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;
  if (s.stop && s.stop.length > 0) out.stop = [...s.stop];
  if (s.n !== undefined) out.n = s.n;
  if (s.seed !== undefined) out.seed = s.seed;
  if (s.presencePenalty !== undefined) out.presence_penalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) out.frequency_penalty = s.frequencyPenalty;
}

/**
 * Same-family fields the IR has no place for. From a Chat client they go back as they came; from a legacy
 * Completions client `logprobs` (a count there) becomes Chat's `logprobs` + `top_logprobs`, and `echo` is passed on
 * as CLIProxyAPI does.
 */
function copyExtra(ir: IrRequest, out: JsonObject): void {
  const extra = ir.extra;
  if (!extra) return;
  if (extra.format === "openai-chat") {
    for (const [k, v] of Object.entries(extra.fields)) if (!(k in out)) out[k] = v;
    return;
  }
  if (extra.format !== "openai-completions") return;
  const f = extra.fields;
  const logprobs = f.logprobs;
  if (typeof logprobs === "number") {
    if (logprobs > 0) {
      out.logprobs = true;
      out.top_logprobs = logprobs;
    }
  } else if (typeof logprobs === "boolean") out.logprobs = logprobs;
  const top = num(f.top_logprobs);
  if (top !== undefined) out.top_logprobs = top;
  const echo = bool(f.echo);
  if (echo !== undefined) out.echo = echo;
}
