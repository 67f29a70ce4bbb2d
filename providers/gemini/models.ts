/** Gemini models served when a `gemini-api-key` / `vertex-api-key` entry lists no `models:`. */
import type { CredentialModel } from "../../core/plugin/types.ts";

export const GEMINI_MODELS: readonly CredentialModel[] = [
  {
    id: "gemini-2.5-pro",
    upstream: "gemini-2.5-pro",
    displayName: "Gemini 2.5 Pro",
    thinking: { min: 128, max: 32768, dynamicAllowed: true },
  },
  {
    id: "gemini-2.5-flash",
    upstream: "gemini-2.5-flash",
    displayName: "Gemini 2.5 Flash",
    thinking: { max: 24576, zeroAllowed: true, dynamicAllowed: true },
  },
  {
    id: "gemini-2.5-flash-lite",
    upstream: "gemini-2.5-flash-lite",
    displayName: "Gemini 2.5 Flash Lite",
    thinking: { max: 24576, zeroAllowed: true, dynamicAllowed: true },
  },
  {
    id: "gemini-3-pro-preview",
    upstream: "gemini-3-pro-preview",
    displayName: "Gemini 3 Pro Preview",
    thinking: { min: 128, max: 32768, dynamicAllowed: true, levels: ["low", "high"] },
  },
  {
    id: "gemini-3-flash-preview",
    upstream: "gemini-3-flash-preview",
    displayName: "Gemini 3 Flash Preview",
    thinking: { min: 128, max: 32768, dynamicAllowed: true, levels: ["minimal", "low", "medium", "high"] },
  },
];
