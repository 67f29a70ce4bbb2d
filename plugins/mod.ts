/** Built-in feature plugins (not providers), by the name a config enables them with. */
import type { AnyPluginDefinition } from "../core/plugin/load.ts";

export const FEATURE_PLUGINS: readonly AnyPluginDefinition[] = [];
