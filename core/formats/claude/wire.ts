/**
 * Small pieces shared by the Claude request, response and stream code: lenient readers for untrusted JSON, ids,
 * stop reasons and usage in both directions.
 */
import type { IrStopReason, IrUsage } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";

// ---------------------------------------------------------------------------------------------------------------
// Lenient readers: a wrong type reads as absent, never throws.

export function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function obj(v: JsonValue | undefined): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Ids

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `prefix` + 24 random base62 characters, the shape of Claude's `msg_…` / `toolu_…` ids. */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let s = prefix;
  // 256 % 62 leaves a negligible bias; these ids only need to be unique, not uniform.
  for (const b of bytes) s += BASE62[b % 62];
  return s;
}

const TOOL_ID_VALID = /^[a-zA-Z0-9_-]+$/;
const TOOL_ID_INVALID = /[^a-zA-Z0-9_-]/g;

/** Claude requires tool_use ids to match `^[a-zA-Z0-9_-]+$`; other formats' ids may not (CPA sanitises the same way). */
export function claudeToolId(id: string): string {
  if (TOOL_ID_VALID.test(id)) return id; // fast path: OpenAI, Gemini and Claude ids are already valid
  return id === "" ? randomId("toolu_") : id.replace(TOOL_ID_INVALID, "_");
}

// ---------------------------------------------------------------------------------------------------------------
// Stop reasons (behaviour.md §4.4)

const SAME: ReadonlySet<string> = new Set([
  "end_turn",
  "max_tokens",
  "tool_use",
  "stop_sequence",
  "refusal",
  "pause_turn",
]);

/** Claude `stop_reason` → IR. `native` is set only when the mapping is not one-to-one, so it is never noise. */
export function stopReasonFromClaude(v: JsonValue | undefined): { stop: IrStopReason | null; native?: string } {
  if (typeof v !== "string" || v === "") return { stop: null };
  if (SAME.has(v)) return { stop: v as IrStopReason };
  // The context window filled up before max_tokens: for the client it is the same "ran out of room".
  if (v === "model_context_window_exceeded") return { stop: "max_tokens", native: v };
  // Claude-compatible upstreams report a safety stop as "sensitive" (CPA maps it like refusal).
  if (v === "sensitive") return { stop: "refusal", native: v };
  return { stop: "end_turn", native: v };
}

/**
 * IR → Claude `stop_reason`. A finished message always has one: none reported means end_turn. `tool_use` follows
 * the tool_use blocks actually sent, not the source's word (as CPA does): a turn with calls is tool_use even when the
 * source said "stop" (some OpenAI-compatible upstreams do), and one without calls is not, since Claude clients run
 * tools on that signal. `content_filter` becomes `refusal` — Claude's own stop for a safety intervention, which
 * Claude clients surface as such — rather than CPA's `end_turn`, which would present a filtered (often empty or cut)
 * answer as a normal completion.
 */
export function stopReasonToClaude(stop: IrStopReason | null | undefined, sawToolCall: boolean): string {
  switch (stop) {
    case "content_filter":
      return "refusal";
    case undefined:
    case null:
    case "end_turn":
    case "tool_use":
      return sawToolCall ? "tool_use" : "end_turn";
  }
  return stop;
}

// ---------------------------------------------------------------------------------------------------------------
// Usage (behaviour.md §4.3)

/** Claude usage fields as they accumulate over a stream (message_start, then message_delta). */
export interface ClaudeUsageState {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  reasoning: number | undefined;
}

export function newUsageState(): ClaudeUsageState {
  return { input: 0, output: 0, cacheRead: 0, cacheCreation: 0, reasoning: undefined };
}

/** Folds one Claude `usage` object into `s`; absent fields keep their value (message_delta repeats only some). */
export function mergeUsage(s: ClaudeUsageState, u: JsonObject): void {
  const input = num(u.input_tokens);
  if (input !== undefined) s.input = input;
  // output_tokens is cumulative in message_delta: the latest value is the total.
  const output = num(u.output_tokens);
  if (output !== undefined) s.output = output;
  const read = num(u.cache_read_input_tokens);
  if (read !== undefined) s.cacheRead = read;
  const creation = num(u.cache_creation_input_tokens);
  if (creation !== undefined) s.cacheCreation = creation;
  const details = obj(u.output_tokens_details);
  const thinking = details && num(details.thinking_tokens);
  if (thinking !== undefined) s.reasoning = thinking;
}

/** IR usage counts every prompt token: Claude's `input_tokens` excludes the cached ones, so they are added back. */
export function irUsage(s: ClaudeUsageState): IrUsage {
  const u: { -readonly [K in keyof IrUsage]: IrUsage[K] } = {
    input: s.input + s.cacheRead + s.cacheCreation,
    output: s.output,
  };
  if (s.cacheRead > 0) u.cacheRead = s.cacheRead;
  if (s.cacheCreation > 0) u.cacheCreation = s.cacheCreation;
  if (s.reasoning !== undefined && s.reasoning > 0) u.reasoning = s.reasoning;
  return u;
}

export function usageFromClaudeBody(v: JsonValue | undefined): IrUsage | undefined {
  if (!isJsonObject(v)) return undefined;
  const s = newUsageState();
  mergeUsage(s, v);
  return irUsage(s);
}

/**
 * IR usage → Claude `usage`: `input_tokens` = all prompt tokens − cache reads − cache writes (vector 21). Cache fields
 * appear only when non-zero, as CPA renders them for non-Claude upstreams.
 */
export function usageToClaude(u: IrUsage | undefined): JsonObject {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const read = u.cacheRead ?? 0;
  const creation = u.cacheCreation ?? 0;
  const out: JsonObject = { input_tokens: Math.max(0, u.input - read - creation) };
  if (creation > 0) out.cache_creation_input_tokens = creation;
  if (read > 0) out.cache_read_input_tokens = read;
  out.output_tokens = u.output;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Media helpers

/** UTF-8 text → base64 (Claude plain-text documents travel as base64 files in the IR). */
export function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  // Chunked: one String.fromCharCode call per 32 KiB keeps the argument list under engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** base64 → UTF-8 text, or null when it is not base64. */
export function base64ToUtf8(b64: string): string | null {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** `data:<type>[;…];base64,<data>` → its parts; null for anything else (including non-base64 data URLs). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0) return null;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(";base64")) return null;
  return { mediaType: meta.slice(0, meta.indexOf(";")) || "application/octet-stream", data: url.slice(comma + 1) };
}
