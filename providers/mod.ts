/** Built-in provider plugins, by the name a config enables them with. */
import openAICompatible from "./openai-compatible/mod.ts";
import type { AnyPluginDefinition } from "../core/plugin/load.ts";

export const PROVIDER_PLUGINS: readonly AnyPluginDefinition[] = [openAICompatible as AnyPluginDefinition];
