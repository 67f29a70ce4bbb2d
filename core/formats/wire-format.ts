/**
 * The wire formats Switchyard speaks, on the client side and on the upstream side.
 *
 * `openai-completions` is the legacy `/v1/completions` shape; it shares OpenAI's error and stream framing.
 */
export type WireFormat = "openai-chat" | "openai-completions" | "openai-responses" | "claude" | "gemini";

/** What a request asks the upstream to do. */
export type Operation = "generate" | "count-tokens";

/** Token usage as the core accounts it, whatever the format reported. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

/** A JSON object as parsed from a request or response body. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
