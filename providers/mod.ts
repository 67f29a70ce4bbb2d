/** Built-in provider plugins, by the name a config enables them with. */
import type { AnyPluginDefinition } from "../core/plugin/load.ts";
import openAICompatible from "./openai-compatible/mod.ts";
import claude from "./claude/mod.ts";
import gemini from "./gemini/mod.ts";
import vertex from "./vertex/mod.ts";
import { codexPlugin, xaiPlugin } from "./codex/mod.ts";

export const PROVIDER_PLUGINS: readonly AnyPluginDefinition[] = [
  openAICompatible,
  claude,
  gemini,
  vertex,
  codexPlugin,
  xaiPlugin,
] as AnyPluginDefinition[];
