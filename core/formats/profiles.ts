import type { FormatProfile } from "./format-profile.ts";
import type { WireFormat } from "./wire-format.ts";
import { claudeProfile } from "./claude/profile.ts";
import { geminiProfile } from "./gemini/profile.ts";
import { openAIChatProfile, openAICompletionsProfile } from "./openai-chat/profile.ts";
import { openAIResponsesProfile } from "./openai-responses/profile.ts";

/** Edge behaviour per client format, looked up once per request. */
export const FORMAT_PROFILES: Readonly<Record<WireFormat, FormatProfile>> = Object.freeze({
  "openai-chat": openAIChatProfile,
  "openai-completions": openAICompletionsProfile,
  "openai-responses": openAIResponsesProfile,
  claude: claudeProfile,
  gemini: geminiProfile,
});
