/**
 * The `request-logger` plugin: CLIProxyAPI's per-request log files and `main.log`, with all file I/O off the
 * response path.
 *
 * Per request, the `tap` hook hands the pipeline a {@link RequestCapture} (references only). `afterResponse` decides:
 * with `request-log` on every request is logged through the emitter's normal lane; with it off, a request that failed
 * (status ≥ 400 except 499, or an upstream error) gets a forced `error-…` log through the priority lane, which never
 * drops. `commercial-mode` turns request logs off. The emitter, its queues and the capture settings survive reloads
 * (`onConfigChange`), so toggling `request-log` takes effect for the next request.
 */
import { join } from "node:path";
import { VERSION } from "../../core/version.ts";
import { definePlugin } from "../../core/plugin/define.ts";
import type { PluginDefinition, PluginHooks, RequestTap } from "../../core/plugin/types.ts";
import { RequestCapture } from "./capture.ts";
import { MAIN_LOG } from "./cleanup.ts";
import { DropReporter, type DropReporterTimers } from "./drop-reporter.ts";
import { AsyncEmitter, type EmitterSink } from "./emitter.ts";
import { type LogEntry, snapshotEntry, snapshotOwnedEntry } from "./entry.ts";
import { FileLogSink } from "./file-sink.ts";
import { type Env, resolveLogDir } from "./log-dir.ts";
import { REQUEST_LOGGER_KEYS, type RequestLoggerOptions, requestLoggerOptions } from "./options.ts";
import { isForcedError } from "./policy.ts";
import { RotatingFile } from "./rotating-file.ts";

export const PLUGIN_NAME = "request-logger";

/**
 * One file per request is a create + write + rename; on slow disks (a VM's ext4: 1–2 ms each under Deno) a single
 * writer caps out below the proxy's own request rate, so a few writes overlap.
 */
export const DEFAULT_WRITE_CONCURRENCY = 4;

/** Seams for tests and embedding; the built-in uses the defaults. */
export interface RequestLoggerDeps {
  /** Epoch ms (file names, timestamps, cleanup). */
  readonly now?: () => number;
  /** Replaces the file writer, e.g. to slow it down; receives the default one to wrap. */
  readonly sink?: (file: FileLogSink) => EmitterSink<LogEntry>;
  readonly normalCapacity?: number;
  readonly priorityCapacity?: number;
  /** Log files written at once (default {@link DEFAULT_WRITE_CONCURRENCY}). */
  readonly writeConcurrency?: number;
  /** Starts the emitter's writer loop (default: a zero-delay timer). */
  readonly schedule?: (run: () => void) => void;
  /** Environment for `WRITABLE_PATH` (default: the process's). */
  readonly env?: Env;
  /**
   * What enqueue copies. `owned` (default): the entry and every list in it, sharing the `Headers` and byte chunks the
   * core handed to the tap — the tap held those same references for the whole request, and the core never touches
   * them again once the request has ended, so a deep copy at enqueue would protect nothing (and costs 5–10×; see
   * bench/request-logger.bench.ts). `deep`: headers and bytes are copied too, for embedders that feed the capture
   * from buffers they reuse.
   */
  readonly snapshot?: "deep" | "owned";
  /** Timers of the dropped-logs warning (default: the system's, unref'd). */
  readonly reportTimers?: DropReporterTimers;
}

/** What the plugin exposes beside its hooks (found through the snapshot's plugin instance). */
export interface RequestLoggerHandle {
  /** The directory logs are written to. */
  readonly dir: string;
  readonly emitter: AsyncEmitter<LogEntry>;
  readonly files: FileLogSink;
  /** Resolves once every queued log is written, cleanup has run and main.log has its lines. */
  flush(): Promise<void>;
  /** The current options. */
  readonly options: RequestLoggerOptions;
}

export interface RequestLoggerHooks extends PluginHooks<RequestLoggerOptions> {
  readonly requestLogger: RequestLoggerHandle;
}

export function createRequestLogger(deps: RequestLoggerDeps = {}): PluginDefinition<RequestLoggerOptions> {
  return definePlugin<RequestLoggerOptions>({
    name: PLUGIN_NAME,
    version: "1.0.0",
    core: "^1.0.0",
    configKeys: REQUEST_LOGGER_KEYS,
    // Forced error logs are written even when request-log is off or absent, as CLIProxyAPI does.
    enabledByDefault: true,
    configSchema: requestLoggerOptions,
    setup(ctx) {
      const now = deps.now ?? Date.now;
      let options = ctx.options;
      const dir = resolveLogDir(ctx.configDir, deps.env);
      const files = new FileLogSink({
        dir,
        version: VERSION,
        now,
        limits: () => ({
          errorLogsMaxFiles: options["error-logs-max-files"],
          maxTotalBytes: options["logs-max-total-size-mb"] * 1024 * 1024,
        }),
        onError: (err) => ctx.log.warn(`log cleanup failed: ${message(err)}`),
      });
      const emitter = new AsyncEmitter<LogEntry>({
        sink: deps.sink ? deps.sink(files) : files,
        normalCapacity: deps.normalCapacity,
        priorityCapacity: deps.priorityCapacity,
        concurrency: deps.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY,
        snapshot: deps.snapshot === "deep" ? snapshotEntry : snapshotOwnedEntry,
        schedule: deps.schedule,
        onError: (err, entry) => ctx.log.warn(`request log ${entry.requestId} not written: ${message(err)}`),
      });
      const captures = ctx.slot<RequestCapture>("capture");
      const normalCapacity = emitter.normalCapacity;
      const drops = new DropReporter(
        (n) =>
          ctx.log.warn(
            `${n} request log${n === 1 ? "" : "s"} dropped: the log writer fell behind the request rate (the disk is ` +
              `slower than the traffic) and the queue of ${normalCapacity} dropped its oldest entries; error logs are ` +
              `never dropped`,
          ),
        { timers: deps.reportTimers },
      );

      // App log file (`logging-to-file`): main.log receives every app log line through a sink of the core's output.
      let appLog: RotatingFile | null = null;
      let removeSink: (() => void) | null = null;
      let appLogClosing: Promise<void> = Promise.resolve();
      const applyAppLog = (on: boolean) => {
        if (on && appLog === null) {
          appLog = new RotatingFile({
            path: join(dir, MAIN_LOG),
            now,
            onError: (err) => ctx.log.warn(`main.log write failed: ${message(err)}`),
            onRotate: () => {
              files.cleaner.invalidate();
              void files.cleaner.run();
            },
          });
          removeSink = ctx.addLogSink(appLog.sink);
        } else if (!on && appLog !== null) {
          removeSink?.();
          removeSink = null;
          const closing = appLog;
          appLog = null;
          appLogClosing = appLogClosing.then(() => closing.close());
        }
      };
      applyAppLog(options["logging-to-file"]);

      const handle: RequestLoggerHandle = {
        dir,
        emitter,
        files,
        async flush() {
          await emitter.flush();
          await files.idle();
          await appLogClosing;
          await appLog?.flush();
        },
        get options() {
          return options;
        },
      };

      const hooks: RequestLoggerHooks = {
        requestLogger: handle,
        tap(rc): RequestTap | null {
          if (options["commercial-mode"]) return null;
          const capture = new RequestCapture(rc, options["request-log"], now);
          captures.set(rc, capture);
          return capture;
        },
        afterResponse(rc, summary) {
          const capture = captures.get(rc);
          if (capture === undefined) return;
          if (capture.full) {
            const entry = capture.toEntry(summary, false);
            const queued = emitter.enqueue(entry, false);
            if (queued === "queued-dropped-oldest") drops.dropped();
            // A request that outlived the shutdown grace: logging has already closed.
            else if (queued === "dropped") ctx.log.warn(`request log ${entry.requestId} dropped: shutting down`);
          } else if (isForcedError(summary.status, summary.error, summary.cancelled)) {
            emitter.enqueue(capture.toEntry(summary, true), true);
          }
        },
        onConfigChange(next, prev) {
          options = next;
          if (
            next["logs-max-total-size-mb"] !== prev["logs-max-total-size-mb"] ||
            next["error-logs-max-files"] !== prev["error-logs-max-files"]
          ) {
            files.cleaner.invalidate();
            void files.cleaner.run();
          }
          applyAppLog(next["logging-to-file"]);
        },
        async dispose() {
          await emitter.close();
          drops.flush();
          await files.idle();
          applyAppLog(false);
          await appLogClosing;
        },
      };
      return hooks;
    },
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The built-in. */
export default createRequestLogger();
