/**
 * Claude Messages request bodies ↔ IR.
 *
 * Parse accepts everything Claude clients send (the SDKs, Claude Code with its cache_control-laden system blocks,
 * beta fields and server tools) and keeps what the IR cannot model in `extra`. Render produces a body the Messages
 * API accepts for a request that came from another format (behaviour.md §4.1 "Chat → Claude", §4.2).
 */
import {
  argumentsObject,
  type IrFilePart,
  type IrImagePart,
  type IrMediaSource,
  type IrMessage,
  type IrPart,
  type IrReasoning,
  type IrRequest,
  type IrResponseFormat,
  type IrSampling,
  type IrTextPart,
  type IrTool,
  type IrToolChoice,
  type IrToolResultPart,
  type RenderContext,
} from "../ir.ts";
import { isReasoningLevel, LEVEL_BUDGET } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { ProxyError } from "../../http/proxy-error.ts";
import { base64ToUtf8, claudeToolId, num, obj, parseDataUrl, str, utf8ToBase64 } from "./wire.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type ToolResultItem = IrTextPart | IrImagePart | IrFilePart;

// ===============================================================================================================
// Parse

/** Top-level fields the IR models. Everything else (context_management, container, mcp_servers, service_tier, …) is
 * carried verbatim in `extra` for a Claude upstream. */
const MODELLED: ReadonlySet<string> = new Set([
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "output_format",
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "metadata",
  "stream",
]);

/**
 * Claude Code's per-request billing/fingerprint block (`x-anthropic-billing-header: cc_version=…; cch=…`). It means
 * something to Anthropic only; sent to another upstream it is prompt noise that changes every request and defeats
 * that upstream's prompt caching, so it is left out of the IR (CPA strips it for non-Claude targets too).
 */
const ATTRIBUTION = /^\s*x-anthropic-billing-header:/;

export function parseClaudeRequest(body: JsonObject): IrRequest {
  const rawMessages = body.messages;
  if (!Array.isArray(rawMessages)) {
    throw new ProxyError(400, "bad_request", "messages: Field required (an array of {role, content} objects)");
  }

  const extra: JsonObject = {};
  for (const key in body) {
    const v = body[key];
    if (v !== undefined && !MODELLED.has(key)) extra[key] = v;
  }

  const messages: IrMessage[] = [];
  for (const m of rawMessages) {
    if (!isJsonObject(m)) continue;
    if (m.role === "user" || m.role === "assistant") {
      messages.push({ role: m.role, content: parseContent(m.content) });
    } else if (m.role === "system") {
      // A mid-conversation system message has no IR place of its own: it becomes a user turn wrapped as Claude Code
      // wraps its reminders, which is what CPA sends to non-Claude upstreams.
      const reminder = systemReminder(m.content);
      if (reminder !== null) messages.push({ role: "user", content: [{ type: "text", text: reminder }] });
    }
  }

  const serverTools: JsonObject[] = [];
  const tools = parseTools(body.tools, serverTools);
  if (serverTools.length > 0) extra.tools = serverTools;

  const ir: Mutable<IrRequest> = {
    model: str(body.model) ?? "",
    stream: body.stream === true,
    system: parseSystem(body.system),
    messages,
    tools,
    sampling: parseSampling(body),
    extra: null,
  };

  const tc = obj(body.tool_choice);
  if (tc) {
    const choice = parseToolChoice(tc);
    if (choice) ir.toolChoice = choice;
    if (tc.disable_parallel_tool_use === true) ir.parallelToolCalls = false;
  }

  const oc = obj(body.output_config);
  const effort = oc && str(oc.effort)?.toLowerCase();
  const effortLevel = isReasoningLevel(effort) ? effort : undefined;
  const reasoning = parseReasoning(body.thinking, effortLevel);
  if (reasoning) ir.reasoning = reasoning;

  // output_format is the structured-outputs beta spelling of output_config.format.
  const responseFormat = parseResponseFormat(oc?.format ?? body.output_format);
  if (responseFormat) ir.responseFormat = responseFormat;
  if (body.output_format !== undefined && !(responseFormat && oc?.format === undefined)) {
    extra.output_format = body.output_format;
  }

  if (oc) {
    // What output_config holds beyond the effort and format the IR models travels on for a Claude upstream.
    const rest: JsonObject = {};
    for (const key in oc) {
      const v = oc[key];
      if (v === undefined) continue;
      // The effort is in the IR only when it set the reasoning level (not beside a budget or disabled thinking).
      if (key === "effort" && effortLevel !== undefined && reasoning?.level === effortLevel) continue;
      if (key === "format" && responseFormat) continue;
      rest[key] = v;
    }
    if (Object.keys(rest).length > 0) extra.output_config = rest;
  }

  // Claude Code sends a JSON document as a string here; it is an opaque id and kept verbatim.
  const userId = str(obj(body.metadata)?.user_id);
  if (userId) ir.user = userId;

  if (Object.keys(extra).length > 0) ir.extra = { format: "claude", fields: extra };
  return ir;
}

function textPart(text: string, cacheControl: JsonValue | undefined): IrTextPart {
  return isJsonObject(cacheControl) ? { type: "text", text, cacheControl } : { type: "text", text };
}

function parseSystem(v: JsonValue | undefined): IrTextPart[] {
  if (typeof v === "string") return v === "" || ATTRIBUTION.test(v) ? [] : [{ type: "text", text: v }];
  if (!Array.isArray(v)) return [];
  const out: IrTextPart[] = [];
  for (const b of v) {
    if (!isJsonObject(b) || b.type !== "text") continue;
    const text = str(b.text);
    if (text && !ATTRIBUTION.test(text)) out.push(textPart(text, b.cache_control));
  }
  return out;
}

function systemReminder(content: JsonValue | undefined): string | null {
  const texts = parseSystem(content);
  if (texts.length === 0) return null;
  const text = texts.map((t) => t.text).join("\n");
  return text.trim() === "" ? null : `<system-reminder>\n${text}\n</system-reminder>`;
}

function parseContent(v: JsonValue | undefined): IrPart[] {
  if (typeof v === "string") return v === "" ? [] : [{ type: "text", text: v }];
  if (isJsonObject(v)) {
    const p = parseContentBlock(v);
    return p ? [p] : [];
  }
  if (!Array.isArray(v)) return [];
  const out: IrPart[] = [];
  for (const b of v) {
    if (isJsonObject(b)) {
      const p = parseContentBlock(b);
      if (p) out.push(p);
    } else if (typeof b === "string" && b !== "") {
      out.push({ type: "text", text: b });
    }
  }
  return out;
}

/**
 * One Claude content block → an IR part; null for blocks the IR has no place for (server tool use and results,
 * search results, container uploads, …), which only a Claude upstream would understand.
 */
export function parseContentBlock(b: JsonObject): IrPart | null {
  switch (b.type) {
    case "text": {
      const text = str(b.text);
      return text === undefined ? null : textPart(text, b.cache_control);
    }
    case "image": {
      const source = parseSource(b.source);
      return source ? { type: "image", source } : null;
    }
    case "document":
      return parseDocument(b);
    case "tool_use": {
      const input = b.input;
      // input is an object on the wire; a string is taken as the JSON text itself (some clients send that).
      const args = input === undefined || input === null
        ? "{}"
        : typeof input === "string"
        ? input
        : JSON.stringify(input);
      return { type: "tool_call", id: str(b.id) ?? "", name: str(b.name) ?? "", arguments: args };
    }
    case "tool_result":
      return parseToolResult(b);
    case "thinking": {
      const text = str(b.thinking) ?? "";
      const signature = str(b.signature);
      return signature ? { type: "thinking", text, signature, signatureFormat: "claude" } : { type: "thinking", text };
    }
    case "redacted_thinking": {
      const data = str(b.data);
      return data ? { type: "thinking", text: "", signature: data, signatureFormat: "claude", redacted: true } : null;
    }
  }
  return null;
}

function parseSource(v: JsonValue | undefined): IrMediaSource | null {
  const s = obj(v);
  if (!s) return null;
  switch (s.type) {
    case "base64": {
      const data = str(s.data);
      return data === undefined
        ? null
        : { kind: "base64", mediaType: str(s.media_type) ?? "application/octet-stream", data };
    }
    case "url": {
      const url = str(s.url);
      return url ? { kind: "url", url } : null;
    }
    case "file": {
      const fileId = str(s.file_id);
      return fileId ? { kind: "file-id", fileId } : null;
    }
  }
  return null;
}

function parseDocument(b: JsonObject): IrFilePart | null {
  const s = obj(b.source);
  if (!s) return null;
  let source: IrMediaSource | null;
  if (s.type === "text") {
    // Plain-text documents become text/plain files, which render back to this same shape.
    const data = str(s.data);
    source = data === undefined ? null : { kind: "base64", mediaType: "text/plain", data: utf8ToBase64(data) };
  } else if (s.type === "content") {
    // A "custom content" document: its text blocks, joined, are what other formats can use.
    const parts = parseContent(s.content);
    const text = parts.map((p) => (p.type === "text" ? p.text : "")).filter((t) => t !== "").join("\n");
    source = text === "" ? null : { kind: "base64", mediaType: "text/plain", data: utf8ToBase64(text) };
  } else {
    source = parseSource(s);
  }
  if (!source) return null;
  const title = str(b.title);
  return title ? { type: "file", source, filename: title } : { type: "file", source };
}

function parseToolResult(b: JsonObject): IrToolResultPart {
  let content: string | ToolResultItem[] = "";
  if (typeof b.content === "string") {
    content = b.content;
  } else if (Array.isArray(b.content)) {
    const items: ToolResultItem[] = [];
    for (const c of b.content) {
      const p = isJsonObject(c) ? parseContentBlock(c) : null;
      if (p && (p.type === "text" || p.type === "image" || p.type === "file")) items.push(p);
    }
    content = items;
  }
  const r: Mutable<IrToolResultPart> = { type: "tool_result", callId: str(b.tool_use_id) ?? "", content };
  if (b.is_error === true) r.isError = true;
  return r;
}

function parseTools(v: JsonValue | undefined, serverTools: JsonObject[]): IrTool[] {
  if (!Array.isArray(v)) return [];
  const out: IrTool[] = [];
  for (const t of v) {
    if (!isJsonObject(t)) continue;
    // Server and versioned tools (web_search_20250305, bash_20250124, text_editor_…, tool search, …) run on
    // Anthropic's side: they are not functions another upstream could call.
    if (t.type !== undefined && t.type !== null && t.type !== "custom") {
      serverTools.push(t);
      continue;
    }
    const name = str(t.name);
    if (!name) continue;
    const tool: Mutable<IrTool> = { name, parameters: obj(t.input_schema) ?? { type: "object" } };
    const description = str(t.description);
    if (description) tool.description = description;
    if (typeof t.strict === "boolean") tool.strict = t.strict;
    out.push(tool);
  }
  return out;
}

function parseToolChoice(tc: JsonObject): IrToolChoice | undefined {
  switch (tc.type) {
    case "auto":
      return { type: "auto" };
    case "any":
      return { type: "required" };
    case "none":
      return { type: "none" };
    case "tool": {
      const name = str(tc.name);
      return name ? { type: "tool", name } : undefined;
    }
  }
  return undefined;
}

/** behaviour.md §4.2: disabled → none, enabled+budget → budget, enabled → auto, adaptive (+effort) → level. */
function parseReasoning(v: JsonValue | undefined, effort: IrReasoning["level"]): IrReasoning | undefined {
  const t = obj(v);
  switch (t?.type) {
    case "disabled":
      return { level: "none" };
    case "enabled": {
      const budget = num(t.budget_tokens);
      return budget !== undefined ? { budget: Math.trunc(budget) } : { level: "auto" };
    }
    case "adaptive":
    case "auto":
    case "between_tools":
      return { level: effort ?? "auto" };
  }
  // output_config.effort alone still says how hard the model should work.
  return effort !== undefined ? { level: effort } : undefined;
}

function parseResponseFormat(v: JsonValue | undefined): IrResponseFormat | undefined {
  const f = obj(v);
  if (f?.type !== "json_schema") return undefined;
  const schema = obj(f.schema);
  return schema ? { type: "json_schema", schema } : undefined;
}

function parseSampling(b: JsonObject): IrSampling {
  const s: Mutable<IrSampling> = {};
  const maxTokens = num(b.max_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const temperature = num(b.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = num(b.top_p);
  if (topP !== undefined) s.topP = topP;
  const topK = num(b.top_k);
  if (topK !== undefined) s.topK = topK;
  if (Array.isArray(b.stop_sequences)) {
    const stop = b.stop_sequences.filter((x): x is string => typeof x === "string");
    if (stop.length > 0) s.stop = stop;
  }
  return s;
}

// ===============================================================================================================
// Render

/** CPA's default when the client gave none (vector 17); Claude requires max_tokens. */
const DEFAULT_MAX_TOKENS = 32000;
/** Claude's smallest accepted budget_tokens. */
const MIN_BUDGET = 1024;
/**
 * Claude's budget form has no "dynamic": auto is rendered as high's budget, matching §4.2's auto→effort high.
 * (The adaptive form — thinking:{type:"adaptive"} + output_config.effort — needs the model's declared support, which
 * the router knows and this codec does not; it renders levels as budgets until the router passes that in.)
 */
const AUTO_BUDGET = LEVEL_BUDGET.high;

export function renderClaudeRequest(ir: IrRequest, ctx: RenderContext): JsonObject {
  const s = ir.sampling;
  const maxTokens = s.maxTokens !== undefined && s.maxTokens > 0 ? Math.floor(s.maxTokens) : DEFAULT_MAX_TOKENS;
  const extra = ir.extra?.format === "claude" ? ir.extra.fields : null;
  const out: JsonObject = { model: ctx.model, max_tokens: maxTokens };

  const system: JsonObject[] = [];
  for (const p of ir.system) if (p.text !== "") system.push(textBlock(p));
  if (system.length > 0) out.system = system;

  const messages = renderMessages(ir.messages);
  // A system-only conversation still needs a user turn; CPA adds an empty one.
  if (messages.length === 0 && system.length > 0) {
    messages.push({ role: "user", content: [{ type: "text", text: "" }] });
  }
  out.messages = messages;

  const tools = renderTools(ir.tools, extra);
  let forcedTool = false;
  if (tools.length > 0) {
    out.tools = tools;
    const choice = renderToolChoice(ir.toolChoice, ir.parallelToolCalls);
    if (choice) {
      out.tool_choice = choice;
      forcedTool = choice.type === "any" || choice.type === "tool";
    }
  }

  let thinking = ir.reasoning ? renderThinking(ir.reasoning, maxTokens) : undefined;
  // Claude rejects thinking with a forced tool choice. The forced call is what the client's code waits for, so
  // thinking gives way (CPA's Claude executor does the same).
  if (forcedTool && thinking?.type === "enabled") thinking = undefined;
  // With thinking on, Claude rejects a trailing tool loop whose assistant turn does not open with a signed thinking
  // block ("a final assistant message must start with a thinking block"). History from another format cannot
  // supply one (Chat has no signatures, foreign ones are not replayed), so thinking gives way for this request, as
  // the API's error advises, rather than failing every tool round trip with thinking on.
  if (thinking?.type === "enabled" && !toolLoopOpensWithThinking(messages)) thinking = undefined;
  if (thinking) out.thinking = thinking;
  const thinkingOn = thinking?.type === "enabled";

  const outputConfig: JsonObject = extra && isJsonObject(extra.output_config) ? { ...extra.output_config } : {};
  const rf = ir.responseFormat;
  // Structured outputs: a client that asked for a JSON schema gets it enforced (CPA drops response_format).
  if (rf?.type === "json_schema" && rf.schema) outputConfig.format = { type: "json_schema", schema: rf.schema };
  if (Object.keys(outputConfig).length > 0) out.output_config = outputConfig;

  // CPA drops temperature on every translated request; it is a deliberate client choice Claude supports, so it is
  // kept. With thinking on, Claude accepts only temperature 1, top_p ≥ 0.95 and no top_k: those give way to the
  // thinking the client also asked for.
  if (s.temperature !== undefined && (!thinkingOn || s.temperature === 1)) out.temperature = s.temperature;
  let topP = s.topP;
  if (topP !== undefined && thinkingOn && topP < 0.95) topP = undefined;
  // Current Claude models reject temperature and top_p together. Temperature is the knob clients mean (OpenAI SDK
  // users often send top_p: 1 alongside), so top_p gives way.
  if (out.temperature !== undefined) topP = undefined;
  if (topP !== undefined) out.top_p = topP;
  if (s.topK !== undefined && !thinkingOn) out.top_k = s.topK;
  if (s.stop) {
    // Claude rejects whitespace-only stop sequences.
    const stop = s.stop.filter((x) => x.trim() !== "");
    if (stop.length > 0) out.stop_sequences = stop;
  }

  if (ir.user) out.metadata = { user_id: ir.user };

  if (extra) {
    for (const key in extra) {
      const v = extra[key];
      if (v !== undefined && key !== "tools" && key !== "output_config" && !Object.hasOwn(out, key)) out[key] = v;
    }
  }
  out.stream = ctx.stream;
  return out;
}

/**
 * False when the trailing tool loop — the assistant turns after the last user turn that is not only tool results,
 * one assistant turn to Claude — calls a tool but does not start with a thinking (or redacted_thinking) block.
 */
function toolLoopOpensWithThinking(messages: readonly JsonObject[]): boolean {
  let start = messages.length;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    const content = Array.isArray(m.content) ? m.content : [];
    if (m.role === "user" && !content.every((b) => isJsonObject(b) && b.type === "tool_result")) break;
    start = i;
  }
  let first: JsonValue | undefined;
  let calls = false;
  for (let i = start; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role !== "assistant" || !Array.isArray(m.content)) continue;
    first ??= m.content[0];
    if (m.content.some((b) => isJsonObject(b) && b.type === "tool_use")) calls = true;
  }
  if (!calls) return true;
  return isJsonObject(first) && (first.type === "thinking" || first.type === "redacted_thinking");
}

function renderThinking(r: IrReasoning, maxTokens: number): JsonObject | undefined {
  let budget: number;
  if (r.budget !== undefined) budget = r.budget;
  else if (r.level !== undefined) budget = LEVEL_BUDGET[r.level];
  else return undefined; // only includeThoughts: nothing to say to Claude
  if (budget === 0) return { type: "disabled" };
  if (budget < 0) budget = AUTO_BUDGET;
  budget = Math.max(Math.floor(budget), MIN_BUDGET);
  // budget_tokens must stay below max_tokens (vector 16: 50000 with max_tokens 4096 → 4095).
  if (budget >= maxTokens) budget = maxTokens - 1;
  // max_tokens too small for Claude's minimum budget: ask without thinking rather than be rejected.
  if (budget < MIN_BUDGET) return undefined;
  return { type: "enabled", budget_tokens: budget };
}

function renderToolChoice(c: IrToolChoice | undefined, parallel: boolean | undefined): JsonObject | undefined {
  let out: JsonObject;
  switch (c?.type) {
    case "none":
      // CPA sends no tool_choice for "none"; kept that way (Claude's own {type:"none"} is not used).
      return undefined;
    case "required":
      out = { type: "any" };
      break;
    case "tool":
      out = { type: "tool", name: c.name };
      break;
    case "auto":
      out = { type: "auto" };
      break;
    default:
      if (parallel !== false) return undefined;
      out = { type: "auto" };
  }
  if (parallel === false) out.disable_parallel_tool_use = true;
  return out;
}

function renderTools(tools: readonly IrTool[], extra: JsonObject | null): JsonObject[] {
  const out: JsonObject[] = [];
  for (const t of tools) {
    const tool: JsonObject = { name: t.name };
    if (t.description) tool.description = t.description;
    tool.input_schema = inputSchema(t.parameters);
    // `strict` is not sent: SDKs set it by default and models without strict tool use reject the field.
    out.push(tool);
  }
  // Server tools of a Claude client travel back to a Claude upstream unchanged.
  const serverTools = extra?.tools;
  if (Array.isArray(serverTools)) { for (const t of serverTools) if (isJsonObject(t)) out.push(t); }
  return out;
}

const UNIONS = ["anyOf", "oneOf", "allOf"] as const;

/**
 * Claude wants `input_schema` to be an object schema without a root-level union (as CPA normalises it): the
 * object-typed branches' properties are merged in (allOf branches' `required` too) and `type` is forced to object.
 */
function inputSchema(schema: JsonObject): JsonObject {
  // Fast path: the usual schema is already acceptable and is sent as is, uncopied.
  if (
    schema.type === "object" && isJsonObject(schema.properties) &&
    schema.anyOf === undefined && schema.oneOf === undefined && schema.allOf === undefined
  ) return schema;
  const out: JsonObject = { ...schema };
  const props: JsonObject = { ...obj(schema.properties) };
  const required: string[] = Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === "string")
    : [];
  for (const u of UNIONS) {
    const branches = out[u];
    if (branches === undefined) continue;
    delete out[u];
    if (!Array.isArray(branches)) continue;
    for (const br of branches) {
      if (!isJsonObject(br) || !canBeObject(br)) continue;
      const bp = obj(br.properties);
      if (bp) {
        for (const k in bp) {
          const v = bp[k];
          if (v !== undefined && !Object.hasOwn(props, k)) props[k] = v;
        }
      }
      if (u === "allOf" && Array.isArray(br.required)) {
        for (const r of br.required) if (typeof r === "string" && !required.includes(r)) required.push(r);
      }
    }
  }
  out.type = "object";
  out.properties = props;
  if (required.length > 0) out.required = required;
  return out;
}

function canBeObject(schema: JsonObject): boolean {
  const t = schema.type;
  if (t === undefined) return true;
  return t === "object" || (Array.isArray(t) && t.includes("object"));
}

/**
 * Messages in Claude's shape: consecutive same-role turns merged (Claude wants alternation), tool_use blocks last in
 * an assistant turn and tool_result blocks first in a user turn (Claude requires results to lead the turn that
 * answers the calls; CPA only does the former). Parts with nothing to send are skipped, so they neither produce an
 * empty turn nor split a merge.
 */
function renderMessages(messages: readonly IrMessage[]): JsonObject[] {
  const out: JsonObject[] = [];
  let role: IrMessage["role"] | null = null;
  let body: JsonObject[] = [];
  /** Assistant: tool_use blocks (go last). User: tool_result blocks (go first). */
  let calls: JsonObject[] = [];
  const flush = () => {
    if (role === null) return;
    const content = role === "assistant" ? body.concat(calls) : calls.concat(body);
    if (content.length > 0) out.push({ role, content });
    body = [];
    calls = [];
  };
  for (const m of messages) {
    for (const part of m.content) {
      const block = renderPart(part);
      if (!block) continue;
      if (role !== m.role) {
        flush();
        role = m.role;
      }
      if (block.type === (m.role === "assistant" ? "tool_use" : "tool_result")) calls.push(block);
      else body.push(block);
    }
  }
  flush();
  return out;
}

function textBlock(p: IrTextPart): JsonObject {
  return p.cacheControl
    ? { type: "text", text: p.text, cache_control: p.cacheControl }
    : { type: "text", text: p.text };
}

function renderPart(p: IrPart): JsonObject | null {
  switch (p.type) {
    case "text":
      // Claude rejects empty and whitespace-only text blocks ("text content blocks must contain non-whitespace
      // text"); OpenAI-compatible models often answer "\n\n" beside their tool calls, and clients replay it.
      return p.text.trim() === "" ? null : textBlock(p);
    case "image":
      return imageBlock(p.source);
    case "file":
      return documentBlock(p);
    case "tool_call":
      // Invalid or non-object argument JSON becomes {} (vector 18).
      return { type: "tool_use", id: claudeToolId(p.id), name: p.name, input: argumentsObject(p.arguments) };
    case "tool_result": {
      const r: JsonObject = { type: "tool_result", tool_use_id: claudeToolId(p.callId), content: toolResultContent(p) };
      if (p.isError) r.is_error = true;
      return r;
    }
    case "thinking":
      // Claude verifies signatures: a foreign one (Gemini, Codex) or none at all would fail the whole request, so
      // such thinking is not replayed.
      if (!p.signature || (p.signatureFormat !== undefined && p.signatureFormat !== "claude")) return null;
      return p.redacted
        ? { type: "redacted_thinking", data: p.signature }
        : { type: "thinking", thinking: p.text, signature: p.signature };
  }
}

function toolResultContent(p: IrToolResultPart): JsonValue {
  if (typeof p.content === "string") return p.content;
  const out: JsonObject[] = [];
  for (const c of p.content) {
    const b = c.type === "text"
      ? (c.text.trim() === "" ? null : textBlock(c))
      : c.type === "image"
      ? imageBlock(c.source)
      : documentBlock(c);
    if (b) out.push(b);
  }
  return out;
}

function claudeSource(src: IrMediaSource): JsonObject {
  switch (src.kind) {
    case "base64":
      return { type: "base64", media_type: src.mediaType, data: src.data };
    case "url": {
      const d = parseDataUrl(src.url);
      return d ? { type: "base64", media_type: d.mediaType, data: d.data } : { type: "url", url: src.url };
    }
    case "file-id":
      return { type: "file", file_id: src.fileId };
  }
}

function imageBlock(src: IrMediaSource): JsonObject {
  return { type: "image", source: claudeSource(src) };
}

function documentBlock(p: IrFilePart): JsonObject {
  let src = p.source;
  if (src.kind === "url") {
    const d = parseDataUrl(src.url);
    if (d) src = { kind: "base64", mediaType: d.mediaType, data: d.data };
  }
  const mediaType = (src.mediaType ?? "").split(";")[0]!.trim().toLowerCase();
  // An image sent as a file is still an image to Claude.
  if (mediaType.startsWith("image/")) return imageBlock(src);
  let source: JsonObject | null = null;
  if (src.kind === "base64" && mediaType.startsWith("text/")) {
    // Claude takes text documents only as plain-text sources (text/plain), not as base64.
    const text = base64ToUtf8(src.data);
    if (text !== null) source = { type: "text", media_type: "text/plain", data: text };
  }
  const doc: JsonObject = { type: "document", source: source ?? claudeSource(src) };
  if (p.filename) doc.title = p.filename;
  return doc;
}
