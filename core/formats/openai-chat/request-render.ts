/**
 * IR request → Chat Completions request body, for an OpenAI-compatible upstream. Tool results become `tool`
 * messages placed right after the assistant message holding their call (OpenAI rejects anything in between).
 */
import type {
  IrMessage,
  IrRequest,
  IrResponseFormat,
  IrSampling,
  IrTextPart,
  IrTool,
  IrToolChoice,
  IrToolResultPart,
  RenderContext,
} from "../ir.ts";
import { reasoningLevel } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { renderContentPart } from "./content.ts";
import { bool, num } from "./json.ts";

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
  /** Images and files the tool results just placed returned: a user message after them carries those. */
  let toolMedia: JsonObject[] = [];
  const flushToolMedia = () => {
    if (toolMedia.length > 0) messages.push({ role: "user", content: toolMedia });
    toolMedia = [];
  };
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
          messages.push(toolMessage(r, toolMedia));
        }
      }
      flushToolMedia();
      continue;
    }
    const content: JsonObject[] = [];
    for (const p of m.content) {
      if (p.type === "tool_result") {
        // An orphan result (its call is not in the history) stays where it was.
        if (!placed.has(p.callId)) {
          placed.add(p.callId);
          messages.push(toolMessage(results.get(p.callId) ?? p, toolMedia));
        }
        continue;
      }
      const rendered = p.type === "text" || p.type === "image" || p.type === "file" ? renderContentPart(p) : null;
      if (rendered) content.push(rendered);
    }
    flushToolMedia();
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

/**
 * A `tool` message. OpenAI takes only text there ("Image URLs are only allowed for messages with role 'user'"), so a
 * result's images and files (a screenshot tool, Claude Code reading an image) go to `media`, which the caller sends as
 * a user message right after the tool messages of that turn.
 */
function toolMessage(r: IrToolResultPart, media: JsonObject[]): JsonObject {
  let content: string;
  if (typeof r.content === "string") content = r.content;
  else {
    const texts: IrTextPart[] = [];
    for (const p of r.content) {
      if (p.type === "text") texts.push(p);
      else {
        const rendered = renderContentPart(p);
        if (rendered) media.push(rendered);
      }
    }
    content = joinText(texts, "\n\n");
  }
  // OpenAI has no error flag on tool results; the text is what the model sees either way.
  return { role: "tool", tool_call_id: r.callId, content };
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
