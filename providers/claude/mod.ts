export { default } from "./plugin.ts";
export { ANTHROPIC_BASE, CLAUDE_PROVIDER, claudeAdapter } from "./adapter.ts";
export { CLAUDE_MODELS } from "./models.ts";
export { claudeCredentialType, claudeFromRecord } from "./oauth.ts";
