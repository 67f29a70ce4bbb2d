export { default } from "./plugin.ts";
export { openAICompatibleAdapter } from "./adapter.ts";
export { type CompatCredentialData, credentialsFromEntries, PROVIDER_ID } from "./credentials.ts";
