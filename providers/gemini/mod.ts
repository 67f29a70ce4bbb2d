export { default } from "./plugin.ts";
export { GEMINI_BASE, GEMINI_PROVIDER, geminiAction, geminiAdapter, geminiBody } from "./adapter.ts";
export { GEMINI_MODELS } from "./models.ts";
