/** Runtime + HTTP edge + listener in one call: what the CLI and end-to-end tests start. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createApp, type SwitchyardApp } from "./http/app.ts";
import { type RunningServer, serve } from "./http/serve.ts";
import type { LogOutput } from "./log.ts";
import type { AnyPluginDefinition } from "./plugin/load.ts";
import { Runtime } from "./runtime.ts";

export interface StartOptions {
  readonly configPath: string;
  readonly builtins: readonly AnyPluginDefinition[];
  /** Overrides the config's `host` (empty = all interfaces). */
  readonly host?: string;
  /** Overrides the config's `port`; 0 picks a free one. */
  readonly port?: number;
  readonly logOutput?: LogOutput;
  /** Reload on config file changes (default true). */
  readonly watch?: boolean;
  /** Debounce of auth-dir change fan-outs (default 1 s, as CLIProxyAPI). */
  readonly authDebounceMs?: number;
}

export interface Switchyard {
  readonly runtime: Runtime;
  readonly app: SwitchyardApp;
  readonly server: RunningServer;
  /** The base URL clients use. */
  readonly url: string;
  /** Graceful: stop accepting, let in-flight streams finish (bounded), dispose plugins. */
  close(graceMs?: number): Promise<void>;
}

export async function startSwitchyard(opts: StartOptions): Promise<Switchyard> {
  const runtime = await Runtime.start({
    configPath: opts.configPath,
    builtins: opts.builtins,
    logOutput: opts.logOutput,
    watch: opts.watch,
    authDebounceMs: opts.authDebounceMs,
  });
  const config = runtime.snapshot.config;
  const app = createApp(runtime);
  let server: RunningServer;
  try {
    const host = opts.host ?? config.host;
    const dir = runtime.snapshot.loaded.dir;
    const tls = config.tls.enable
      ? {
        cert: await readFile(resolve(dir, config.tls.cert), "utf8"),
        key: await readFile(resolve(dir, config.tls.key), "utf8"),
      }
      : undefined;
    server = await serve(app, {
      hostname: host === "" ? "0.0.0.0" : host,
      port: opts.port ?? config.port,
      tls,
    });
  } catch (err) {
    await runtime.close(0);
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    runtime,
    app,
    server,
    url: server.url,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await server.shutdown(graceMs);
        await runtime.close(graceMs);
      })();
      return closing;
    },
  };
}
