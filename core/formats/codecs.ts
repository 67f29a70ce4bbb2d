/**
 * The format codecs, by wire format. A format missing here cannot be translated to or from yet: requests that need it
 * get a 501 in the client's format.
 */
import type { FormatCodec } from "./ir.ts";
import type { WireFormat } from "./wire-format.ts";
import { claudeCodec } from "./claude/codec.ts";
import { geminiCodec } from "./gemini/codec.ts";
import { openAIChatCodec, openAICompletionsCodec } from "./openai-chat/codec.ts";
import { openAIResponsesCodec } from "./openai-responses/codec.ts";

export const CODECS: Readonly<Partial<Record<WireFormat, FormatCodec>>> = Object.freeze({
  "openai-chat": openAIChatCodec,
  "openai-completions": openAICompletionsCodec,
  "openai-responses": openAIResponsesCodec,
  claude: claudeCodec,
  gemini: geminiCodec,
});
