export { codexPlugin, xaiPlugin } from "./plugin.ts";
export { CODEX_PROVIDER, codexAdapter, codexBody, XAI_BASE, XAI_PROVIDER, xaiAdapter } from "./adapter.ts";
export { CODEX_MODELS, XAI_MODELS } from "./models.ts";
export { applyCodexBackendQuirks } from "./backend-quirks.ts";
export { CODEX_BACKEND, codexCredentialType, codexFromRecord } from "./oauth.ts";
