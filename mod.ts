/**
 * Switchyard: an LLM API proxy built as a plugin runtime.
 *
 * Public API for embedding and for plugin authors. Run as a program (`deno run -A mod.ts`, `bun run mod.ts`,
 * `node dist/switchyard.mjs`) it starts the server.
 *
 * @module
 */
import process from "node:process";
import { main } from "./core/cli.ts";
import { isMainModule } from "./core/is-main.ts";
import type { AnyPluginDefinition } from "./core/plugin/load.ts";
import { startSwitchyard, type StartOptions, type Switchyard } from "./core/server.ts";
import { PROVIDER_PLUGINS } from "./providers/mod.ts";
import { FEATURE_PLUGINS } from "./plugins/mod.ts";

export { CORE_API_VERSION, definePlugin } from "./core/plugin/define.ts";
export type * from "./core/plugin/types.ts";
export type { JsonObject, JsonValue, Operation, Usage, WireFormat } from "./core/formats/wire-format.ts";
export { RequestContext } from "./core/http/request-context.ts";
export { ProxyError } from "./core/http/proxy-error.ts";
export { PluginError } from "./core/plugin/plugin-error.ts";
export { ConfigError } from "./core/config/load.ts";
export type { Logger } from "./core/log.ts";
export { createApp } from "./core/http/app.ts";
export { Runtime } from "./core/runtime.ts";
export type { Switchyard } from "./core/server.ts";

/** Every plugin that ships with Switchyard. */
export const BUILTIN_PLUGINS: readonly AnyPluginDefinition[] = [...PROVIDER_PLUGINS, ...FEATURE_PLUGINS];

/** Starts Switchyard with the built-in plugins. */
export function serve(opts: Omit<StartOptions, "builtins"> & { builtins?: StartOptions["builtins"] }): Promise<Switchyard> {
  return startSwitchyard({ ...opts, builtins: opts.builtins ?? BUILTIN_PLUGINS });
}

if (isMainModule(import.meta)) {
  main(process.argv.slice(2), BUILTIN_PLUGINS).then((code) => process.exit(code));
}
