/**
 * Options of the plugin: CLIProxyAPI's logging keys, validated with the config file's own schema so options given
 * explicitly under `plugins:` get the same checks and defaults.
 */
import { z } from "zod";
import { configSchema } from "../../core/config/schema.ts";

export const REQUEST_LOGGER_KEYS = [
  "request-log",
  "logs-max-total-size-mb",
  "error-logs-max-files",
  "logging-to-file",
  "commercial-mode",
] as const;

export const requestLoggerOptions = z.object({
  /** Log every proxied request (default false: only forced error logs). */
  "request-log": configSchema.shape["request-log"],
  /** Delete the oldest logs while the directory holds more than this many MiB (0 = off). */
  "logs-max-total-size-mb": configSchema.shape["logs-max-total-size-mb"],
  /** Keep the newest N forced error logs (default 10, 0 = off). */
  "error-logs-max-files": configSchema.shape["error-logs-max-files"],
  /** Write app log lines to `<logs>/main.log` with size-based rotation. */
  "logging-to-file": configSchema.shape["logging-to-file"],
  /** No request logs at all. */
  "commercial-mode": configSchema.shape["commercial-mode"],
});

export type RequestLoggerOptions = z.output<typeof requestLoggerOptions>;
