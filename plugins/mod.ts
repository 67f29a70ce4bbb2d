/** Built-in feature plugins (not providers), by the name a config enables them with. */
import type { AnyPluginDefinition } from "../core/plugin/load.ts";
import requestLogger from "./request-logger/mod.ts";
import signatureCache from "./signature-cache/mod.ts";

export const FEATURE_PLUGINS: readonly AnyPluginDefinition[] = [
  requestLogger as AnyPluginDefinition,
  signatureCache as AnyPluginDefinition,
];
