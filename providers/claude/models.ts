/** Claude models served when a `claude-api-key` entry lists no `models:` (a subset of CLIProxyAPI's catalogue). */
import type { CredentialModel } from "../../core/plugin/types.ts";

const budget = { min: 1024, max: 128000, zeroAllowed: true } as const;
const levels = { ...budget, levels: ["low", "medium", "high", "xhigh", "max"] } as const;

export const CLAUDE_MODELS: readonly CredentialModel[] = [
  { id: "claude-opus-4-7", upstream: "claude-opus-4-7", displayName: "Claude Opus 4.7", thinking: levels },
  { id: "claude-sonnet-4-6", upstream: "claude-sonnet-4-6", displayName: "Claude 4.6 Sonnet", thinking: levels },
  { id: "claude-opus-4-6", upstream: "claude-opus-4-6", displayName: "Claude 4.6 Opus", thinking: levels },
  {
    id: "claude-sonnet-4-5-20250929",
    upstream: "claude-sonnet-4-5-20250929",
    displayName: "Claude 4.5 Sonnet",
    thinking: budget,
  },
  {
    id: "claude-haiku-4-5-20251001",
    upstream: "claude-haiku-4-5-20251001",
    displayName: "Claude 4.5 Haiku",
    thinking: budget,
  },
  { id: "claude-opus-4-5-20251101", upstream: "claude-opus-4-5-20251101", displayName: "Claude 4.5 Opus", thinking: budget },
];
