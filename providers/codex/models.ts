/** Models served when a `codex-api-key` / `xai-api-key` entry lists no `models:`. */
import type { CredentialModel } from "../../core/plugin/types.ts";

const effort = { levels: ["low", "medium", "high"] } as const;
const effortX = { levels: ["low", "medium", "high", "xhigh"] } as const;

export const CODEX_MODELS: readonly CredentialModel[] = [
  { id: "gpt-5", upstream: "gpt-5", displayName: "GPT-5", thinking: { levels: ["minimal", "low", "medium", "high"] } },
  { id: "gpt-5-codex", upstream: "gpt-5-codex", displayName: "GPT-5 Codex", thinking: effort },
  { id: "gpt-5.1", upstream: "gpt-5.1", displayName: "GPT-5.1", thinking: { levels: ["none", "low", "medium", "high"] } },
  { id: "gpt-5.1-codex", upstream: "gpt-5.1-codex", displayName: "GPT-5.1 Codex", thinking: effort },
  { id: "gpt-5.1-codex-max", upstream: "gpt-5.1-codex-max", displayName: "GPT-5.1 Codex Max", thinking: effortX },
];

export const XAI_MODELS: readonly CredentialModel[] = [
  { id: "grok-4", upstream: "grok-4", displayName: "Grok 4" },
  { id: "grok-4-fast", upstream: "grok-4-fast", displayName: "Grok 4 Fast" },
  { id: "grok-code-fast-1", upstream: "grok-code-fast-1", displayName: "Grok Code Fast 1" },
];
