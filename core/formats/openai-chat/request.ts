/**
 * Chat Completions request body → IR request.
 *
 * OpenAI keeps tool results in their own `tool` messages, which must follow the assistant message with the calls;
 * the IR keeps them as parts of a user message (Claude's placement). Every result is put right after the turn that
 * made its call, wherever the client sent it (request-render.ts splits them back out in the same place).
 */
import type {
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
} from "../ir.ts";
import { isReasoningLevel } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { ProxyError } from "../../http/proxy-error.ts";
import { type ContentPart, contentParts } from "./content.ts";
import { argumentsText, arr, bool, type Mutable, num, obj, randomId, str } from "./json.ts";

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
