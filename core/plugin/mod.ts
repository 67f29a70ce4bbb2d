/** The plugin author's entry point (`switchyard/plugin`): `definePlugin` and the types a plugin programs against. */
export { CORE_API_VERSION, definePlugin } from "./define.ts";
export type * from "./types.ts";
export { PluginError, type PluginErrorCode } from "./plugin-error.ts";
export { ProxyError, type ProxyErrorCode } from "../http/proxy-error.ts";
export type { RequestContext } from "../http/request-context.ts";
export type { JsonObject, JsonValue, Operation, Usage, WireFormat } from "../formats/wire-format.ts";
export type { Logger } from "../log.ts";
export type { RefreshFn, RefreshOutcome, RefreshType } from "../credentials/refresh-scheduler.ts";
export type { RefreshHttp } from "../credentials/refresh-http.ts";
export type { AuthRecord } from "../credentials/auth-record.ts";
export type { ByteSource, UpstreamResponse } from "../http/upstream-fetch.ts";
