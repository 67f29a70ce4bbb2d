/** Errors raised while loading, validating or setting up plugins. Codes are stable: tests and users match on them. */
export type PluginErrorCode =
  | "SWITCHYARD_ERR_PLUGIN_NOT_FOUND"
  | "SWITCHYARD_ERR_PLUGIN_VERSION"
  | "SWITCHYARD_ERR_PLUGIN_LOAD"
  | "SWITCHYARD_ERR_PLUGIN_INVALID"
  | "SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH"
  | "SWITCHYARD_ERR_PLUGIN_OPTIONS"
  | "SWITCHYARD_ERR_PLUGIN_DEPENDENCY"
  | "SWITCHYARD_ERR_PLUGIN_DUPLICATE"
  | "SWITCHYARD_ERR_PLUGIN_SETUP"
  | "SWITCHYARD_ERR_PLUGIN_HOOK";

export class PluginError extends Error {
  readonly code: PluginErrorCode;
  readonly plugin: string;
  readonly hook: string | undefined;

  constructor(code: PluginErrorCode, plugin: string, message: string, options: { hook?: string; cause?: unknown } = {}) {
    const where = options.hook ? `[plugin ${plugin}] ${options.hook}: ` : `[plugin ${plugin}] `;
    super(where + message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PluginError";
    this.code = code;
    this.plugin = plugin;
    this.hook = options.hook;
  }
}
