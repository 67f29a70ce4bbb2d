/**
 * Realistic loopback fakes of the four upstream wire formats — an OpenAI-compatible Chat Completions server, the
 * Claude Messages API, the Gemini API and the Codex (Responses) backend — for end-to-end translation tests.
 *
 * Each fake reads a request in its own format the way the real API does and answers what was asked:
 * - tools declared (the weather tool) and no tool result yet → a tool call `get_weather({"city":"Paris",…})`;
 * - a tool result as the last turn → text quoting the result (so the round trip is visible end to end);
 * - thinking asked for (Claude `thinking`, Gemini `includeThoughts`, OpenAI `reasoning_effort`, Responses
 *   `reasoning.summary`) → thinking text, signed where the format signs it (Claude `signature`, Gemini
 *   `thoughtSignature`, Codex `encrypted_content`);
 * - a user image → text naming its media type and base64 length;
 * - otherwise a greeting. Every answer carries the format's usage, with cache and reasoning counts.
 * Markers in the last user text script failures: `[[error NNN]]` answers HTTP NNN with the format's error body before
 * any byte, `[[cut]]` starts a stream and then drops the connection, `[[midfail]]` starts a stream and then sends
 * the format's own in-stream error event (MIDFAIL_MESSAGE), `[[many N]]` streams N text deltas.
 *
 * Like the real APIs, every fake validates what it receives (required fields, turn order, tool call/result pairing,
 * signatures it did not issue…) and answers 400 in its own error shape when the request is invalid, so a translation
 * bug surfaces as a failed request; `problems(req)` gives the same list for direct assertions.
 */
import { type FakeReply, type FakeUpstream, type RecordedRequest, startFakeUpstream } from "./fake-upstream.ts";

export type UpstreamFormat = "openai" | "claude" | "gemini" | "codex";

// ---------------------------------------------------------------------------------------------------------------
// What every fake says

export const WEATHER_TOOL: { name: string; description: string; parameters: Record<string, unknown> } = {
  name: "get_weather",
  description: "Current weather for a city",
  parameters: {
    type: "object",
    properties: {
      city: { type: "string", description: "City name" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    },
    required: ["city"],
  },
};
export const WEATHER_ARGS = { city: "Paris", unit: "celsius" } as const;
export const TOOL_OUTPUT = "sunny, 21°C";
/** The message of the in-stream error `[[midfail]]` asks for. */
export const MIDFAIL_MESSAGE = "fake upstream overloaded mid-stream";
export const THINKING_TEXT = "The user greets me; a short, friendly answer in French fits.";

export function greeting(format: UpstreamFormat): string {
  return `Bonjour from ${format} — ça va? ☀️ 日本`;
}
export function toolAnswer(output: string): string {
  return `Weather report: ${output}`;
}
export function imageAnswer(mediaType: string, data: string): string {
  return `I see a ${mediaType} image (${data.length} base64 chars, ends ${data.slice(-6)})`;
}

/**
 * Each fake's usage, and the same counts in the IR's terms (every prompt token in `input`, cached ones included;
 * every generated token in `output`, reasoning included): behaviour.md §4.3's formulas are checked against these.
 */
export const UPSTREAM_USAGE = {
  claude: { input: 10 + 5 + 2, output: 7, cacheRead: 5, cacheCreation: 2, reasoning: 0 },
  openai: { input: 100, output: 20, cacheRead: 60, cacheCreation: 0, reasoning: 5 },
  gemini: { input: 30, output: 20 + 4, cacheRead: 0, cacheCreation: 0, reasoning: 4 },
  codex: { input: 12, output: 5, cacheRead: 2, cacheCreation: 0, reasoning: 1 },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// The request, as each fake understands it

type Json = Record<string, unknown>;

export interface ToolResult {
  readonly callId: string;
  readonly name: string;
  readonly output: string;
}

/** What a request asks for, read from the fake's own format. */
export interface Ask {
  readonly stream: boolean;
  readonly tools: readonly string[];
  /** The tool results of the last user turn, in order, each with the name of the call it answers. */
  readonly toolResults: readonly ToolResult[];
  /** The first of them (null when the last turn answers no call). */
  readonly toolResult: ToolResult | null;
  readonly thinking: boolean;
  readonly image: { readonly mediaType: string; readonly data: string } | null;
  /** Images that came with the tool results of the last turn (inside them, or beside them where the format must). */
  readonly toolImages: readonly { readonly mediaType: string; readonly data: string }[];
  readonly lastUserText: string;
}

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function dataUrl(url: string | undefined): { mediaType: string; data: string } | null {
  const m = url ? /^data:([^;,]+);base64,(.*)$/s.exec(url) : null;
  return m ? { mediaType: m[1]!, data: m[2]! } : null;
}

/** What one fake issued and what a request to it holds. */
interface FormatSpec {
  /** A generation request (others — count_tokens, models — get `other`). */
  isGenerate(req: RecordedRequest): boolean;
  ask(req: RecordedRequest): Ask;
  /** Why the real API would refuse this request (empty when it would not). */
  problems(req: RecordedRequest, issued: ReadonlySet<string>): string[];
  errorBody(status: number, message: string): unknown;
  reply(answer: Answer, ask: Ask, req: RecordedRequest): FakeReply;
  other?(req: RecordedRequest): FakeReply;
}

// ---------------------------------------------------------------------------------------------------------------
// The answer, format-neutral

interface Answer {
  readonly model: string;
  readonly id: string;
  readonly thinking: { readonly text: string; readonly signature: string } | null;
  readonly text: string;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly args: Json }[];
  /** Stream the text in this many pieces at least (`[[many N]]`). */
  readonly pieces: readonly string[];
  /** Stop after the first pieces and drop the connection. */
  readonly cut: boolean;
  /** Stop after the first pieces with the format's own in-stream error event (`[[midfail]]`). */
  readonly midFail: boolean;
}

/** Splits text into pieces of a few code points (never inside a surrogate pair). */
function split(text: string, size = 4): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(""));
  return out;
}

/** Claude and Gemini signatures are opaque base64; Codex's encrypted reasoning is a Fernet token (`gAAAA…`). */
function signatureFor(format: UpstreamFormat, n: number): string | null {
  switch (format) {
    case "claude":
      return `EqQBCkgIAxABGAIiQFakeClaudeSig${n}x0Yz`;
    case "gemini":
      return `CiQBVKhc7FakeGeminiSig${n}Q2x1`;
    case "codex":
      return `gAAAAABoFakeCodexReasoning${n}_AbC=`;
    case "openai":
      return null; // Chat Completions has no signatures
  }
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAI Chat Completions

function chatText(content: unknown): string {
  if (typeof content === "string") return content;
  return arr(content).map((p) => (isObj(p) && p.type === "text" ? str(p.text) ?? "" : "")).join("");
}

const openai: FormatSpec = {
  isGenerate: (req) => req.method === "POST" && req.path.endsWith("/chat/completions"),
  ask(req) {
    const body = req.json ?? {};
    const messages = arr(body.messages).filter(isObj);
    const users = messages.filter((m) => m.role === "user");
    const lastUser = users.findLast((m) => chatText(m.content) !== "") ?? users.at(-1);
    // The last turn answers tool calls when only tool messages (and user messages without text: images the tools
    // returned, which tool messages cannot hold) follow the last assistant message with calls.
    const toolResults: ToolResult[] = [];
    const answering = messages.findLastIndex((m) => Array.isArray(m.tool_calls));
    const tail = answering < 0 ? [] : messages.slice(answering + 1);
    if (tail.length > 0 && tail.every((m) => m.role === "tool" || (m.role === "user" && chatText(m.content) === ""))) {
      for (const m of tail.filter((x) => x.role === "tool")) {
        const callId = str(m.tool_call_id) ?? "";
        const call = messages.flatMap((x) => arr(x.tool_calls)).find((c) => isObj(c) && c.id === callId) as Json | undefined;
        toolResults.push({ callId, name: str((call?.function as Json | undefined)?.name) ?? "", output: chatText(m.content) });
      }
    }
    const images = (m: Json | undefined) =>
      arr(m?.content).map((p) => isObj(p) && p.type === "image_url" ? dataUrl(str((p.image_url as Json | undefined)?.url)) : null)
        .filter((x) => x !== null);
    const image = toolResults.length === 0 ? images(lastUser)[0] ?? null : null;
    const toolImages = toolResults.length === 0 ? [] : tail.flatMap((m) => images(m));
    const effort = str(body.reasoning_effort);
    return {
      stream: body.stream === true,
      tools: arr(body.tools).map((t) => str(((t as Json).function as Json | undefined)?.name) ?? ""),
      toolResults,
      toolResult: toolResults[0] ?? null,
      thinking: effort !== undefined && effort !== "none",
      image,
      toolImages,
      lastUserText: chatText(lastUser?.content),
    };
  },
  problems(req) {
    const body = req.json ?? {};
    const out: string[] = [];
    if (typeof body.model !== "string" || body.model === "") out.push("model is required");
    const messages = arr(body.messages);
    if (messages.length === 0) out.push("messages must be a non-empty array");
    const open = new Set<string>();
    let afterCalls = false;
    messages.forEach((m, i) => {
      if (!isObj(m) || !["system", "developer", "user", "assistant", "tool"].includes(String(m.role))) {
        out.push(`messages[${i}]: invalid role`);
        return;
      }
      if (m.role === "tool") {
        if (typeof m.content !== "string" && arr(m.content).some((p) => !isObj(p) || p.type !== "text")) {
          out.push(`Invalid 'messages[${i}]'. Image URLs are only allowed for messages with role 'user', but this message with role 'tool' contains an image URL.`);
        }
        const id = str(m.tool_call_id);
        if (!afterCalls || !id || !open.delete(id)) out.push(`messages[${i}]: tool message without a preceding tool call ${id}`);
        return;
      }
      if (open.size > 0) out.push(`messages[${i}]: tool calls ${[...open].join(",")} have no tool message`);
      open.clear();
      afterCalls = false;
      if (m.role === "assistant") {
        for (const c of arr(m.tool_calls)) {
          const fn = isObj(c) ? c.function as Json | undefined : undefined;
          if (!isObj(c) || c.type !== "function" || !str(c.id) || !str(fn?.name) || typeof fn?.arguments !== "string") {
            out.push(`messages[${i}]: malformed tool call`);
          } else {
            try {
              JSON.parse(fn.arguments as string);
            } catch {
              out.push(`messages[${i}]: tool call arguments are not JSON`);
            }
            open.add(c.id as string);
          }
        }
        afterCalls = open.size > 0;
        if (m.content === undefined && !afterCalls) out.push(`messages[${i}]: assistant message without content`);
      } else if (m.content === undefined || m.content === null || m.content === "") {
        if (m.role === "user") out.push(`messages[${i}]: empty user message`);
      }
    });
    if (open.size > 0) out.push(`tool calls ${[...open].join(",")} have no tool message`);
    for (const t of arr(body.tools)) {
      const fn = isObj(t) ? t.function as Json | undefined : undefined;
      if (!isObj(t) || t.type !== "function" || !str(fn?.name) || !isObj(fn?.parameters)) out.push("malformed tool");
    }
    if (body.stream === true && !isObj(body.stream_options)) out.push("stream without stream_options.include_usage");
    return out;
  },
  errorBody: (status, message) => ({
    error: {
      message,
      type: status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error",
      code: status === 429 ? "rate_limit_exceeded" : null,
    },
  }),
  reply(a, ask) {
    const u = UPSTREAM_USAGE.openai;
    const usage = {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cacheRead },
      completion_tokens_details: { reasoning_tokens: u.reasoning },
    };
    const finish = a.toolCalls.length > 0 ? "tool_calls" : "stop";
    const base = { id: a.id, object: "chat.completion.chunk", created: 1_760_000_000, model: a.model };
    if (!ask.stream) {
      const message: Json = { role: "assistant", content: a.toolCalls.length > 0 ? null : a.text };
      if (a.thinking) message.reasoning_content = a.thinking.text;
      if (a.toolCalls.length > 0) {
        message.tool_calls = a.toolCalls.map((t) => ({
          id: t.id,
          type: "function",
          function: { name: t.name, arguments: JSON.stringify(t.args) },
        }));
      }
      return {
        kind: "json",
        body: { ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: finish }], usage },
      };
    }
    const frame = (delta: Json, finishReason: string | null = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
    const chunks = [frame({ role: "assistant", content: "" })];
    if (a.thinking) for (const p of split(a.thinking.text)) chunks.push(frame({ reasoning_content: p }));
    if (a.toolCalls.length > 0) {
      a.toolCalls.forEach((t, index) => {
        chunks.push(frame({ tool_calls: [{ index, id: t.id, type: "function", function: { name: t.name, arguments: "" } }] }));
        for (const p of split(JSON.stringify(t.args), 7)) chunks.push(frame({ tool_calls: [{ index, function: { arguments: p } }] }));
      });
    } else {
      for (const p of a.pieces) chunks.push(frame({ content: p }));
    }
    if (a.cut) return { kind: "sse", chunks: chunks.slice(0, 3), cut: true, delayMs: CUT_DELAY_MS };
    if (a.midFail) {
      const error = { message: MIDFAIL_MESSAGE, type: "server_error", code: "server_is_overloaded" };
      return { kind: "sse", chunks: [...chunks.slice(0, 3), `data: ${JSON.stringify({ error })}\n\n`], delayMs: CUT_DELAY_MS };
    }
    chunks.push(frame({}, finish));
    chunks.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
    chunks.push("data: [DONE]\n\n");
    return { kind: "sse", chunks };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Claude Messages

function claudeText(content: unknown): string {
  if (typeof content === "string") return content;
  return arr(content).map((b) => (isObj(b) && b.type === "text" ? str(b.text) ?? "" : "")).join("");
}

const CLAUDE_ID = /^[a-zA-Z0-9_-]+$/;
const CLAUDE_TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

const claude: FormatSpec = {
  isGenerate: (req) => req.method === "POST" && req.path === "/v1/messages",
  ask(req) {
    const body = req.json ?? {};
    const messages = arr(body.messages).filter(isObj);
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const blocks = arr(lastUser?.content).filter(isObj);
    const toolResults: ToolResult[] = [];
    if (lastUser === messages.at(-1)) {
      for (const result of blocks.filter((b) => b.type === "tool_result")) {
        const callId = str(result.tool_use_id) ?? "";
        const use = messages.flatMap((m) => arr(m.content)).find((b) => isObj(b) && b.type === "tool_use" && b.id === callId);
        toolResults.push({ callId, name: str((use as Json | undefined)?.name) ?? "", output: claudeText(result.content) });
      }
    }
    const img = blocks.find((b) => b.type === "image" && isObj(b.source) && b.source.type === "base64");
    const source = img?.source as Json | undefined;
    const base64 = (b: Json) => {
      const src = b.source as Json;
      return { mediaType: String(src.media_type), data: String(src.data) };
    };
    const toolImages = toolResults.length === 0 ? [] : blocks.flatMap((b) =>
      b.type === "tool_result"
        ? arr(b.content).filter((c) => isObj(c) && c.type === "image").map((c) => base64(c as Json))
        : b.type === "image"
        ? [base64(b)]
        : []
    );
    const thinking = isObj(body.thinking) ? body.thinking.type : undefined;
    return {
      stream: body.stream === true,
      tools: arr(body.tools).map((t) => str((t as Json).name) ?? ""),
      toolResults,
      toolResult: toolResults[0] ?? null,
      thinking: thinking === "enabled" || thinking === "adaptive",
      image: source && toolResults.length === 0 ? { mediaType: String(source.media_type), data: String(source.data) } : null,
      toolImages,
      lastUserText: claudeText(lastUser?.content),
    };
  },
  problems(req, issued) {
    const body = req.json ?? {};
    const out: string[] = [];
    if (typeof body.model !== "string" || body.model === "") out.push("model: Field required");
    if (typeof body.max_tokens !== "number" || body.max_tokens < 1) out.push("max_tokens: Field required");
    if (body.system !== undefined && typeof body.system !== "string") {
      arr(body.system).forEach((b, i) => {
        if (!isObj(b) || b.type !== "text" || !str(b.text)) out.push(`system.${i}: text blocks must be non-empty`);
      });
    }
    const messages = arr(body.messages);
    if (messages.length === 0) out.push("messages: at least one message is required");
    let pending = new Set<string>();
    const seen = new Set<string>();
    messages.forEach((m, i) => {
      if (!isObj(m) || (m.role !== "user" && m.role !== "assistant")) return out.push(`messages.${i}: invalid role`);
      if (i === 0 && m.role !== "user") out.push("messages.0: first message must use the user role");
      if (i > 0 && (messages[i - 1] as Json).role === m.role) out.push(`messages.${i}: roles must alternate`);
      const content = typeof m.content === "string" ? [{ type: "text", text: m.content }] : arr(m.content);
      if (content.length === 0) out.push(`messages.${i}: content must be non-empty`);
      const answered = new Set<string>();
      content.forEach((b, j) => {
        const where = `messages.${i}.content.${j}`;
        if (!isObj(b)) return out.push(`${where}: not a block`);
        switch (b.type) {
          case "text":
            if (!str(b.text)) out.push(`${where}: text content blocks must be non-empty`);
            else if (str(b.text)!.trim() === "") out.push(`${where}: text content blocks must contain non-whitespace text`);
            break;
          case "image":
            if (!isObj(b.source)) out.push(`${where}: image without source`);
            break;
          case "thinking":
            if (m.role !== "assistant") out.push(`${where}: thinking in a user turn`);
            if (!issued.has(String(b.signature))) out.push(`${where}: Invalid \`signature\` in \`thinking\` block`);
            break;
          case "redacted_thinking":
            if (!issued.has(String(b.data))) out.push(`${where}: invalid redacted_thinking data`);
            break;
          case "tool_use":
            if (m.role !== "assistant") out.push(`${where}: tool_use in a user turn`);
            if (!CLAUDE_ID.test(String(b.id))) out.push(`${where}: tool_use.id: String should match pattern`);
            if (seen.has(String(b.id))) out.push(`${where}: tool_use ids must be unique`);
            seen.add(String(b.id));
            if (!isObj(b.input)) out.push(`${where}: tool_use.input must be an object`);
            break;
          case "tool_result":
            if (m.role !== "user") out.push(`${where}: tool_result in an assistant turn`);
            if (!pending.has(String(b.tool_use_id))) {
              out.push(`${where}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}`);
            }
            if (j > 0 && (content[j - 1] as Json).type !== "tool_result") {
              out.push(`${where}: tool_result blocks must come first in the turn`);
            }
            answered.add(String(b.tool_use_id));
            break;
          default:
            out.push(`${where}: unknown block type ${String(b.type)}`);
        }
      });
      if (m.role === "user") {
        for (const id of pending) if (!answered.has(id)) out.push(`messages.${i}: tool_use ${id} has no tool_result`);
        pending = new Set();
      } else {
        pending = new Set(content.filter((b) => isObj(b) && b.type === "tool_use").map((b) => String((b as Json).id)));
      }
    });
    for (const t of arr(body.tools)) {
      if (!isObj(t)) continue;
      if (t.type !== undefined && t.type !== "custom") continue; // server tools
      if (!CLAUDE_TOOL_NAME.test(String(t.name))) out.push(`tools: invalid name ${String(t.name)}`);
      if (!isObj(t.input_schema) || t.input_schema.type !== "object") out.push(`tools.${t.name}: input_schema.type must be object`);
    }
    if (isObj(body.thinking) && body.thinking.type === "enabled") {
      const budget = body.thinking.budget_tokens;
      if (typeof budget !== "number" || budget < 1024) out.push("thinking.budget_tokens: must be ≥ 1024");
      else if (typeof body.max_tokens === "number" && budget >= body.max_tokens) {
        out.push("`max_tokens` must be greater than `thinking.budget_tokens`");
      }
      if (body.temperature !== undefined && body.temperature !== 1) out.push("temperature may only be 1 with thinking");
      if (body.top_k !== undefined) out.push("top_k is not allowed with thinking");
    }
    if (isObj(body.thinking) && (body.thinking.type === "enabled" || body.thinking.type === "adaptive")) {
      // The trailing tool loop (assistant turns since the last user turn that is not only tool results) is one
      // assistant turn to Claude: with thinking on, it must open with a thinking block.
      const list = messages.filter(isObj);
      const content = (m: Json) => (typeof m.content === "string" ? [{ type: "text" }] : arr(m.content).filter(isObj));
      let start = list.length;
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        if (m.role === "user" && !content(m).every((b) => b.type === "tool_result")) break;
        start = i;
      }
      const loop = list.slice(start).filter((m) => m.role === "assistant");
      if (loop.some((m) => content(m).some((b) => b.type === "tool_use"))) {
        const first = content(loop[0]!)[0];
        if (first?.type !== "thinking" && first?.type !== "redacted_thinking") {
          out.push(
            `messages.${start}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first?.type}\`. ` +
              "When `thinking` is enabled, a final `assistant` message must start with a thinking block",
          );
        }
      }
    }
    if (body.temperature !== undefined && body.top_p !== undefined) {
      out.push("`temperature` and `top_p` cannot both be specified for this model");
    }
    return out;
  },
  errorBody: (status, message) => ({
    type: "error",
    error: {
      type: status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error",
      message,
    },
  }),
  reply(a, ask) {
    const u = UPSTREAM_USAGE.claude;
    const content: Json[] = [];
    if (a.thinking) content.push({ type: "thinking", thinking: a.thinking.text, signature: a.thinking.signature });
    for (const t of a.toolCalls) content.push({ type: "tool_use", id: t.id, name: t.name, input: t.args });
    if (a.toolCalls.length === 0) content.push({ type: "text", text: a.text });
    const stop = a.toolCalls.length > 0 ? "tool_use" : "end_turn";
    const usage = { input_tokens: 10, cache_creation_input_tokens: u.cacheCreation, cache_read_input_tokens: u.cacheRead, output_tokens: u.output };
    const message = { id: a.id, type: "message", role: "assistant", model: a.model, content, stop_reason: stop, stop_sequence: null, usage };
    if (!ask.stream) return { kind: "json", body: message };
    const ev = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const chunks = [
      ev("message_start", { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }),
      ev("ping", {}),
    ];
    let index = 0;
    if (a.thinking) {
      chunks.push(ev("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }));
      for (const p of split(a.thinking.text)) {
        chunks.push(ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: p } }));
      }
      chunks.push(ev("content_block_delta", { index, delta: { type: "signature_delta", signature: a.thinking.signature } }));
      chunks.push(ev("content_block_stop", { index }));
      index++;
    }
    if (a.toolCalls.length > 0) {
      a.toolCalls.forEach((t, i) => {
        if (i > 0) chunks.push(ev("content_block_stop", { index: index++ }));
        chunks.push(ev("content_block_start", { index, content_block: { type: "tool_use", id: t.id, name: t.name, input: {} } }));
        chunks.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } }));
        for (const p of split(JSON.stringify(t.args), 6)) {
          chunks.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: p } }));
        }
      });
    } else {
      chunks.push(ev("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const p of a.pieces) chunks.push(ev("content_block_delta", { index, delta: { type: "text_delta", text: p } }));
    }
    if (a.cut) return { kind: "sse", chunks: chunks.slice(0, 5), cut: true, delayMs: CUT_DELAY_MS };
    if (a.midFail) {
      return { kind: "sse", chunks: [...chunks.slice(0, 5), ev("error", { error: { type: "overloaded_error", message: MIDFAIL_MESSAGE } })], delayMs: CUT_DELAY_MS };
    }
    chunks.push(ev("content_block_stop", { index }));
    chunks.push(ev("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: u.output } }));
    chunks.push(ev("message_stop", {}));
    return { kind: "sse", chunks };
  },
  other(req) {
    if (req.path === "/v1/messages/count_tokens") return { kind: "json", body: { input_tokens: 42 } };
    return { kind: "json", status: 404, body: { type: "error", error: { type: "not_found_error", message: req.path } } };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Gemini

/**
 * Pause between the chunks of a stream that will be cut or fail: the HTTP servers may drop buffered bytes when the
 * connection is destroyed, and the cut must come after the proxy has read the start of the stream. (An in-band error
 * that arrives in the same read as the first events is, by design, an ordinary attempt failure: the client then gets
 * an HTTP error rather than a started stream.)
 */
const CUT_DELAY_MS = 25;

export const SKIP_SIGNATURE = "skip_thought_signature_validator";
const GEMINI_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const GEMINI_PART_FIELDS = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"];

function geminiText(parts: unknown): string {
  return arr(parts).map((p) => (isObj(p) && typeof p.text === "string" && p.thought !== true ? p.text : "")).join("");
}

const gemini: FormatSpec = {
  isGenerate: (req) => req.method === "POST" && /:(generateContent|streamGenerateContent)$/.test(req.path),
  ask(req) {
    const body = req.json ?? {};
    const contents = arr(body.contents).filter(isObj);
    const lastUser = [...contents].reverse().find((c) => c.role === "user");
    const parts = arr(lastUser?.parts).filter(isObj);
    const toolResults: ToolResult[] = [];
    if (lastUser === contents.at(-1)) {
      for (const p of parts) {
        if (!isObj(p.functionResponse)) continue;
        const fr = p.functionResponse;
        const response = fr.response as Json | undefined;
        const output = typeof response?.result === "string" ? response.result : JSON.stringify(response ?? null);
        toolResults.push({ callId: str(fr.id) ?? "", name: str(fr.name) ?? "", output });
      }
    }
    const inline = parts.find((p) => isObj(p.inlineData))?.inlineData as Json | undefined;
    const blob = (d: Json) => ({ mediaType: String(d.mimeType), data: String(d.data) });
    const toolImages = toolResults.length === 0 ? [] : parts.flatMap((p) =>
      isObj(p.inlineData)
        ? [blob(p.inlineData)]
        : isObj(p.functionResponse)
        ? arr(p.functionResponse.parts).filter((x) => isObj(x) && isObj(x.inlineData)).map((x) => blob((x as Json).inlineData as Json))
        : []
    );
    const gen = isObj(body.generationConfig) ? body.generationConfig : {};
    const tc = isObj(gen.thinkingConfig) ? gen.thinkingConfig : undefined;
    return {
      stream: req.path.endsWith(":streamGenerateContent"),
      tools: arr(body.tools).flatMap((t) => arr((t as Json).functionDeclarations)).map((d) => str((d as Json).name) ?? ""),
      toolResults,
      toolResult: toolResults[0] ?? null,
      thinking: tc?.includeThoughts === true && tc.thinkingBudget !== 0,
      image: inline && toolResults.length === 0 ? { mediaType: String(inline.mimeType), data: String(inline.data) } : null,
      toolImages,
      lastUserText: geminiText(lastUser?.parts),
    };
  },
  problems(req, issued) {
    const body = req.json ?? {};
    const out: string[] = [];
    if (body.model !== undefined) out.push('Invalid JSON payload received. Unknown name "model": Cannot find field.');
    if (req.path.endsWith(":streamGenerateContent") && req.search !== "?alt=sse") out.push("stream without alt=sse");
    const contents = arr(body.contents);
    if (contents.length === 0) out.push("contents is not specified");
    let calls = 0;
    contents.forEach((c, i) => {
      if (!isObj(c) || (c.role !== "user" && c.role !== "model")) return out.push(`contents[${i}]: role must be user or model`);
      const parts = arr(c.parts);
      if (parts.length === 0) out.push(`contents[${i}]: must include at least one parts field`);
      let firstCall = true;
      let responses = 0;
      parts.forEach((p, j) => {
        const where = `contents[${i}].parts[${j}]`;
        if (!isObj(p)) return out.push(`${where}: not an object`);
        const data = GEMINI_PART_FIELDS.filter((f) => p[f] !== undefined);
        if (data.length !== 1) out.push(`${where}: oneof field 'data' must be set exactly once (${data.join(",")})`);
        const sig = p.thoughtSignature;
        if (sig !== undefined && sig !== SKIP_SIGNATURE && !issued.has(String(sig))) {
          out.push(`${where}: Corrupted thought signature.`);
        }
        if (isObj(p.functionCall)) {
          if (c.role !== "model") out.push(`${where}: functionCall outside a model turn`);
          if (!GEMINI_NAME.test(String(p.functionCall.name))) out.push(`${where}: invalid function name`);
          if (!isObj(p.functionCall.args)) out.push(`${where}: args must be an object`);
          // Gemini 3 validates the first function call of each model turn.
          if (firstCall && sig === undefined) {
            out.push(`${where}: Function call is missing a thought_signature in functionCall parts.`);
          }
          firstCall = false;
        }
        if (isObj(p.functionResponse)) {
          responses++;
          if (c.role !== "user") out.push(`${where}: functionResponse outside a user turn`);
          if (!isObj(p.functionResponse.response)) out.push(`${where}: functionResponse.response must be an object`);
        }
        if (p.inlineData !== undefined) {
          const d = p.inlineData as Json;
          if (!str(d.mimeType) || !str(d.data)) out.push(`${where}: inlineData needs mimeType and data`);
        }
      });
      if (responses > 0 && responses !== calls) {
        out.push(`contents[${i}]: the number of function response parts (${responses}) must equal the number of function call parts (${calls})`);
      }
      calls = c.role === "model" ? parts.filter((p) => isObj(p) && isObj(p.functionCall)).length : 0;
    });
    for (const t of arr(body.tools)) {
      for (const d of arr((t as Json).functionDeclarations)) {
        if (!isObj(d) || !GEMINI_NAME.test(String(d.name))) out.push(`functionDeclarations: invalid name ${String((d as Json).name)}`);
        if (isObj(d) && d.parameters !== undefined && d.parametersJsonSchema !== undefined) {
          out.push("parameters and parametersJsonSchema are exclusive");
        }
      }
    }
    const si = body.systemInstruction;
    if (si !== undefined && (!isObj(si) || arr(si.parts).length === 0)) out.push("systemInstruction must have parts");
    const tc = isObj(body.generationConfig) && isObj(body.generationConfig.thinkingConfig) ? body.generationConfig.thinkingConfig : null;
    if (tc && tc.thinkingBudget !== undefined && tc.thinkingLevel !== undefined) {
      out.push("thinkingBudget and thinkingLevel cannot both be set");
    }
    return out;
  },
  errorBody: (status, message) => ({
    error: {
      code: status,
      message,
      status: status === 429 ? "RESOURCE_EXHAUSTED" : status === 400 ? "INVALID_ARGUMENT" : status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION",
    },
  }),
  reply(a, ask) {
    const u = UPSTREAM_USAGE.gemini;
    const usageMetadata = {
      promptTokenCount: u.input,
      candidatesTokenCount: u.output - u.reasoning,
      thoughtsTokenCount: u.reasoning,
      totalTokenCount: u.input + u.output,
    };
    // Gemini signs the function call when there is one, else the first answer part after the thoughts.
    const signature = a.thinking?.signature;
    const thoughtParts: Json[] = a.thinking ? split(a.thinking.text, 12).map((t) => ({ text: t, thought: true })) : [];
    const answerParts: Json[] = a.toolCalls.length > 0
      ? a.toolCalls.map((t, i) => ({
        functionCall: { name: t.name, args: t.args },
        // Gemini signs the first call of a turn only.
        ...(signature && i === 0 ? { thoughtSignature: signature } : {}),
      }))
      : a.pieces.map((t, i) => (i === 0 && signature ? { text: t, thoughtSignature: signature } : { text: t }));
    const tail = { modelVersion: a.model, responseId: a.id };
    if (!ask.stream) {
      return {
        kind: "json",
        body: {
          candidates: [{ content: { role: "model", parts: [...thoughtParts, ...answerParts] }, finishReason: "STOP", index: 0 }],
          usageMetadata,
          ...tail,
        },
      };
    }
    const chunk = (parts: Json[], final: boolean) =>
      `data: ${
        JSON.stringify({
          candidates: [{ content: { role: "model", parts }, ...(final ? { finishReason: "STOP" } : {}), index: 0 }],
          usageMetadata: final ? usageMetadata : { promptTokenCount: u.input, totalTokenCount: u.input },
          ...tail,
        })
      }\r\n\r\n`;
    const chunks = [...thoughtParts, ...answerParts].map((p, i, all) => chunk([p], i === all.length - 1));
    if (a.cut) return { kind: "sse", chunks: chunks.slice(0, 2), cut: true, delayMs: CUT_DELAY_MS };
    if (a.midFail) {
      const error = { code: 503, message: MIDFAIL_MESSAGE, status: "UNAVAILABLE" };
      return { kind: "sse", chunks: [...chunks.slice(0, 2), `data: ${JSON.stringify({ error })}\r\n\r\n`], delayMs: CUT_DELAY_MS };
    }
    return { kind: "sse", chunks };
  },
  other(req) {
    if (req.path.endsWith(":countTokens")) return { kind: "json", body: { totalTokens: 7 } };
    return { kind: "json", status: 404, body: { error: { code: 404, message: req.path, status: "NOT_FOUND" } } };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Codex (Responses API backend; always streamed)

const CODEX_REJECTED = ["temperature", "top_p", "max_output_tokens", "max_completion_tokens", "user", "truncation"];

function responsesText(content: unknown): string {
  if (typeof content === "string") return content;
  return arr(content).map((p) => (isObj(p) && (p.type === "input_text" || p.type === "output_text") ? str(p.text) ?? "" : "")).join("");
}

const codex: FormatSpec = {
  isGenerate: (req) => req.method === "POST" && req.path.endsWith("/responses"),
  ask(req) {
    const body = req.json ?? {};
    const input = arr(body.input).filter(isObj);
    const toolResults: ToolResult[] = [];
    for (let i = input.length - 1; i >= 0 && input[i]!.type === "function_call_output"; i--) {
      const item = input[i]!;
      const callId = str(item.call_id) ?? "";
      const call = input.find((x) => x.type === "function_call" && x.call_id === callId);
      const output = typeof item.output === "string" ? item.output : responsesText(item.output);
      toolResults.unshift({ callId, name: str(call?.name) ?? "", output });
    }
    const lastUser = [...input].reverse().find((i) => i.role === "user" && (i.type === undefined || i.type === "message"));
    const images = (content: unknown) =>
      arr(content).map((p) => isObj(p) && p.type === "input_image" ? dataUrl(str(p.image_url)) : null).filter((x) => x !== null);
    const image = images(lastUser?.content)[0] ?? null;
    const lastCall = input.findLastIndex((i) => i.type === "function_call");
    const toolImages = lastCall < 0 ? [] : input.slice(lastCall + 1).flatMap((i) =>
      i.type === "function_call_output" ? images(i.output) : images(i.content)
    );
    const reasoning = isObj(body.reasoning) ? body.reasoning : {};
    return {
      stream: true,
      tools: arr(body.tools).map((t) => str((t as Json).name) ?? ""),
      toolResults,
      toolResult: toolResults[0] ?? null,
      // The backend reasons at every effort but "none"; summary text only comes when a summary is asked for.
      thinking: reasoning.effort !== "none" && typeof reasoning.summary === "string" && reasoning.summary !== "none",
      image,
      toolImages,
      lastUserText: responsesText(lastUser?.content),
    };
  },
  problems(req, issued) {
    const body = req.json ?? {};
    const out: string[] = [];
    if (typeof body.model !== "string") out.push("model is required");
    if (typeof body.instructions !== "string") out.push("Instructions are required");
    if (body.stream !== true) out.push("Stream must be set to true");
    if (body.store !== false) out.push("Store must be set to false");
    for (const k of CODEX_REJECTED) if (body[k] !== undefined) out.push(`Unsupported parameter: ${k}`);
    const calls = new Set<string>();
    arr(body.input).forEach((item, i) => {
      if (!isObj(item)) return out.push(`input[${i}]: not an item`);
      const type = item.type ?? "message";
      if (type === "message") {
        if (!["user", "assistant", "developer", "system"].includes(String(item.role))) out.push(`input[${i}]: invalid role`);
        if (item.role === "system") out.push(`input[${i}]: System messages are not allowed`);
      } else if (type === "function_call") {
        if (!str(item.call_id) || !str(item.name) || typeof item.arguments !== "string") out.push(`input[${i}]: malformed function_call`);
        calls.add(String(item.call_id));
      } else if (type === "function_call_output") {
        if (!calls.delete(String(item.call_id))) out.push(`input[${i}]: No tool call found for function call output with call_id ${item.call_id}`);
      } else if (type === "reasoning") {
        if (!issued.has(String(item.encrypted_content))) out.push(`input[${i}]: The encrypted content could not be verified.`);
      }
    });
    for (const id of calls) out.push(`No tool output found for function call ${id}.`);
    for (const t of arr(body.tools)) {
      if (isObj(t) && t.type === "function" && (!str(t.name) || !isObj(t.parameters))) out.push("malformed tool");
    }
    return out;
  },
  errorBody: (status, message) => ({
    error: {
      message,
      type: status === 429 ? "usage_limit_reached" : status >= 500 ? "server_error" : "invalid_request_error",
      code: status === 429 ? "rate_limit_exceeded" : null,
    },
  }),
  reply(a) {
    const u = UPSTREAM_USAGE.codex;
    let seq = 0;
    const ev = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const response = { id: a.id, object: "response", created_at: 1_760_000_000, model: a.model, status: "in_progress", output: [] as Json[] };
    const chunks = [ev("response.created", { response }), ev("response.in_progress", { response })];
    const output: Json[] = [];
    let n = 0;
    if (a.thinking) {
      const id = `rs_${a.id}_${n}`;
      chunks.push(ev("response.output_item.added", { output_index: n, item: { id, type: "reasoning", summary: [] } }));
      const text = a.thinking.text;
      if (text !== "") {
        chunks.push(ev("response.reasoning_summary_part.added", { item_id: id, output_index: n, summary_index: 0, part: { type: "summary_text", text: "" } }));
        for (const p of split(text)) chunks.push(ev("response.reasoning_summary_text.delta", { item_id: id, output_index: n, summary_index: 0, delta: p }));
        chunks.push(ev("response.reasoning_summary_text.done", { item_id: id, output_index: n, summary_index: 0, text }));
        chunks.push(ev("response.reasoning_summary_part.done", { item_id: id, output_index: n, summary_index: 0, part: { type: "summary_text", text } }));
      }
      const item = { id, type: "reasoning", summary: text ? [{ type: "summary_text", text }] : [], encrypted_content: a.thinking.signature };
      chunks.push(ev("response.output_item.done", { output_index: n, item }));
      output.push(item);
      n++;
    }
    for (const t of a.toolCalls) {
      const args = JSON.stringify(t.args);
      const id = `fc_${t.id}`;
      chunks.push(ev("response.output_item.added", { output_index: n, item: { id, type: "function_call", status: "in_progress", arguments: "", call_id: t.id, name: t.name } }));
      for (const p of split(args, 5)) chunks.push(ev("response.function_call_arguments.delta", { item_id: id, output_index: n, delta: p }));
      chunks.push(ev("response.function_call_arguments.done", { item_id: id, output_index: n, arguments: args }));
      const item = { id, type: "function_call", status: "completed", arguments: args, call_id: t.id, name: t.name };
      chunks.push(ev("response.output_item.done", { output_index: n, item }));
      output.push(item);
      n++;
    }
    if (a.toolCalls.length === 0) {
      const id = `msg_${a.id}_${n}`;
      chunks.push(ev("response.output_item.added", { output_index: n, item: { id, type: "message", status: "in_progress", role: "assistant", content: [] } }));
      chunks.push(ev("response.content_part.added", { item_id: id, output_index: n, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }));
      for (const p of a.pieces) chunks.push(ev("response.output_text.delta", { item_id: id, output_index: n, content_index: 0, delta: p }));
      chunks.push(ev("response.output_text.done", { item_id: id, output_index: n, content_index: 0, text: a.text }));
      const part = { type: "output_text", text: a.text, annotations: [] };
      chunks.push(ev("response.content_part.done", { item_id: id, output_index: n, content_index: 0, part }));
      const item = { id, type: "message", status: "completed", role: "assistant", content: [part] };
      chunks.push(ev("response.output_item.done", { output_index: n, item }));
      output.push(item);
    }
    if (a.cut) return { kind: "sse", chunks: chunks.slice(0, 6), cut: true, delayMs: CUT_DELAY_MS };
    if (a.midFail) {
      const failed = { ...response, status: "failed", error: { code: "server_is_overloaded", message: MIDFAIL_MESSAGE } };
      return { kind: "sse", chunks: [...chunks.slice(0, 6), ev("response.failed", { response: failed })], delayMs: CUT_DELAY_MS };
    }
    chunks.push(ev("response.completed", {
      response: {
        ...response,
        status: "completed",
        output,
        usage: {
          input_tokens: u.input,
          input_tokens_details: { cached_tokens: u.cacheRead },
          output_tokens: u.output,
          output_tokens_details: { reasoning_tokens: u.reasoning },
          total_tokens: u.input + u.output,
        },
      },
    }));
    return { kind: "sse", chunks };
  },
};

const SPECS: Readonly<Record<UpstreamFormat, FormatSpec>> = { openai, claude, gemini, codex };

// ---------------------------------------------------------------------------------------------------------------
// The fake server

export interface FakeProvider extends FakeUpstream {
  readonly format: UpstreamFormat;
  /** Generation requests only, in order. */
  readonly generations: RecordedRequest[];
  /** Signatures this fake handed out (any other one in a request is foreign). */
  readonly issued: ReadonlySet<string>;
  ask(req: RecordedRequest): Ask;
  /** Why the real API would refuse `req` (empty when valid). */
  problems(req: RecordedRequest): string[];
  /** The last generation request. */
  last(): RecordedRequest;
}

export async function startFakeProvider(format: UpstreamFormat): Promise<FakeProvider> {
  const spec = SPECS[format];
  const issued = new Set<string>();
  const generations: RecordedRequest[] = [];
  let n = 0;
  const fake = await startFakeUpstream((req) => {
    if (!spec.isGenerate(req)) {
      return spec.other?.(req) ?? { kind: "json", status: 404, body: spec.errorBody(404, `no route ${req.path}`) };
    }
    generations.push(req);
    const ask = spec.ask(req);
    const error = /\[\[error (\d{3})\]\]/.exec(ask.lastUserText);
    if (error) {
      const status = Number(error[1]);
      return { kind: "json", status, body: spec.errorBody(status, `fake ${format} upstream says ${status}`) };
    }
    const problems = spec.problems(req, issued);
    if (problems.length > 0) return { kind: "json", status: 400, body: spec.errorBody(400, problems.join("; ")) };

    n++;
    const model = format === "gemini" ? decodeURIComponent(req.path.split("/").at(-1)!.split(":")[0]!) : String(req.json?.model);
    const id = { openai: `chatcmpl-fake${n}`, claude: `msg_fake${n}`, gemini: `gemResp${n}`, codex: `resp_fake${n}` }[format];
    const signature = signatureFor(format, n);
    if (signature) issued.add(signature);
    const many = /\[\[many (\d+)\]\]/.exec(ask.lastUserText);
    let text: string;
    const toolCalls: Answer["toolCalls"][number][] = [];
    if (ask.toolResults.length > 0) text = toolAnswer(ask.toolResults.map((r) => r.output).join(" | "));
    else if (ask.image) text = imageAnswer(ask.image.mediaType, ask.image.data);
    else if (many) text = "x".repeat(Number(many[1]));
    else text = greeting(format);
    if (ask.toolResults.length === 0 && ask.tools.includes(WEATHER_TOOL.name)) {
      // `[[two calls]]`: parallel calls in one turn (Paris, then Tokyo).
      const cities = ask.lastUserText.includes("[[two calls]]") ? [WEATHER_ARGS.city, "Tokyo"] : [WEATHER_ARGS.city];
      cities.forEach((city, i) => {
        const k = `${n}${i === 0 ? "" : `_${i}`}`;
        const callId = { openai: `call_oa${k}`, claude: `toolu_fake${k}`, gemini: "", codex: `call_cx${k}` }[format];
        toolCalls.push({ id: callId, name: WEATHER_TOOL.name, args: { ...WEATHER_ARGS, city } });
      });
    }
    // The Codex backend always reasons (and returns its encrypted reasoning); the others only when asked.
    const thinkingText = ask.thinking ? THINKING_TEXT : format === "codex" && req.json && isObj(req.json.reasoning) && req.json.reasoning.effort !== "none" ? "" : null;
    const answer: Answer = {
      model,
      id,
      thinking: thinkingText !== null ? { text: thinkingText, signature: signature ?? "" } : null,
      text,
      toolCalls,
      pieces: many ? Array.from({ length: Number(many[1]) }, () => "x") : split(text),
      cut: ask.lastUserText.includes("[[cut]]"),
      midFail: ask.lastUserText.includes("[[midfail]]"),
    };
    return spec.reply(answer, ask, req);
  });
  return {
    ...fake,
    format,
    generations,
    issued,
    ask: (req) => spec.ask(req),
    problems: (req) => spec.problems(req, issued),
    last() {
      const req = generations.at(-1);
      if (!req) throw new Error(`the ${format} fake received no generation request`);
      return req;
    },
  };
}
