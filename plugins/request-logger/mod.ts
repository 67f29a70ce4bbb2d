/** The `request-logger` plugin: CLIProxyAPI's request logs and `main.log`, written off the response path. */
export { createRequestLogger, default, PLUGIN_NAME } from "./plugin.ts";
export type { RequestLoggerDeps, RequestLoggerHandle, RequestLoggerHooks } from "./plugin.ts";
export { AsyncEmitter, DEFAULT_NORMAL_CAPACITY, DEFAULT_PRIORITY_CAPACITY } from "./emitter.ts";
export type { EmitterOptions, EmitterSink, EnqueueResult } from "./emitter.ts";
export { type LogEntry, snapshotEntry, snapshotOwnedEntry } from "./entry.ts";
export { MAX_CAPTURE_BYTES, RequestCapture } from "./capture.ts";
export { renderLog } from "./format.ts";
export { hideSecret, maskHeaderValue, maskQuery } from "./mask.ts";
export { logFileName, sanitizePath } from "./naming.ts";
export { cleanupErrorLogs, enforceSizeLimit } from "./cleanup.ts";
export { FileLogSink } from "./file-sink.ts";
export { RotatingFile } from "./rotating-file.ts";
export { resolveLogDir } from "./log-dir.ts";
export { isForcedError } from "./policy.ts";
export { type RequestLoggerOptions, requestLoggerOptions } from "./options.ts";
