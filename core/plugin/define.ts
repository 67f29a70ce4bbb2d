import type { PluginDefinition } from "./types.ts";

/** Version of the plugin API this core implements; a plugin's `core` range is checked against it. */
export const CORE_API_VERSION = "1.0.0";

/**
 * Declares a plugin. An identity function that gives the definition its types.
 *
 * @example
 * ```ts
 * export default definePlugin({
 *   name: "hello",
 *   version: "1.0.0",
 *   core: "^1.0.0",
 *   setup(ctx) {
 *     return { onRequest: (rc) => { ctx.log.info(`request ${rc.id}`); } };
 *   },
 * });
 * ```
 */
export function definePlugin<O = unknown>(definition: PluginDefinition<O>): PluginDefinition<O> {
  return definition;
}
