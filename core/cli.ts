/**
 * The command line: `switchyard [--config PATH] [--host HOST] [--port PORT]`. With no config file it writes a commented
 * default one, starts on 127.0.0.1:8317 and says what to do next.
 */
import { access, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { DEFAULT_CONFIG_TEXT } from "./config/default-config.ts";
import { ConfigError } from "./config/load.ts";
import { writeFileAtomic } from "./config/persist.ts";
import { PluginError } from "./plugin/plugin-error.ts";
import type { AnyPluginDefinition } from "./plugin/load.ts";
import { startSwitchyard } from "./server.ts";
import { VERSION } from "./version.ts";

export { VERSION };

const USAGE = `Switchyard ${VERSION}: an LLM API proxy for OpenAI, Claude and Gemini clients

Usage: switchyard [options]

Options:
  --config PATH   config file (default ./config.yaml, or $SWITCHYARD_CONFIG)
  --host HOST     listen address (overrides the config's host)
  --port PORT     listen port (overrides the config's port)
  -h, --help      show this help
  -v, --version   print the version
`;

interface CliArgs {
  config?: string;
  host?: string;
  port?: number;
  help?: boolean;
  version?: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`Missing value for ${name}`);
      return v;
    };
    switch (name) {
      case "--config":
      case "-config":
        out.config = takeValue();
        break;
      case "--host":
        out.host = takeValue();
        break;
      case "--port": {
        const v = takeValue();
        const port = Number(v);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port: ${v}`);
        out.port = port;
        break;
      }
      case "-h":
      case "--help":
        out.help = true;
        break;
      case "-v":
      case "--version":
        out.version = true;
        break;
      default:
        throw new Error(`Unknown option: ${arg}`);
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs the server until SIGINT/SIGTERM. Resolves with the exit code. */
export async function main(argv: readonly string[], builtins: readonly AnyPluginDefinition[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(VERSION);
    return 0;
  }
  const configPath = resolve(args.config ?? process.env.SWITCHYARD_CONFIG ?? "config.yaml");
  let firstRun = false;
  if (!(await exists(configPath))) {
    firstRun = true;
    await mkdir(dirname(configPath), { recursive: true });
    await writeFileAtomic(configPath, DEFAULT_CONFIG_TEXT);
  }

  let app;
  try {
    app = await startSwitchyard({ configPath, builtins, host: args.host, port: args.port });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PluginError) {
      console.error(err.message);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e?.code === "EADDRINUSE" || /address.*in use/i.test(e?.message ?? "")) {
      console.error(`Cannot listen: the port is already in use (${e.message}). Pick another with --port.`);
      return 1;
    }
    console.error(`Cannot start: ${e?.message ?? String(err)}`);
    return 1;
  }
  const snapshot = app.runtime.snapshot;
  app.runtime.log.info(`Switchyard ${VERSION} listening on ${app.url} (config ${configPath})`);
  if (snapshot.clientAuth.open) {
    app.runtime.log.warn(
      "api-keys is empty: anyone who can reach this port can use your provider credentials. Add a key under api-keys.",
    );
  }
  if (firstRun) {
    console.error(
      [
        "",
        `First run: wrote a default config to ${configPath}`,
        "Next steps:",
        "  1. Open that file and add a provider, e.g. an openai-compatibility entry with base-url, an api-key and models.",
        "  2. Add a client key under api-keys, then point your client at " + app.url + "/v1",
        "  Changes to the file are picked up automatically; no restart needed.",
        "",
      ].join("\n"),
    );
  } else if (snapshot.models.size === 0) {
    app.runtime.log.warn("No provider is configured yet: add one to the config (see config.example.yaml).");
  }

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        app.runtime.log.warn(`${signal} again: exiting now`);
        resolveExit(130);
        return;
      }
      stopping = true;
      app.runtime.log.info(`${signal}: shutting down (in-flight requests get up to 10 s)`);
      app.close(10_000).then(
        () => {
          app.runtime.log.info("Switchyard stopped");
          resolveExit(0);
        },
        (err) => {
          app.runtime.log.error(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
          resolveExit(1);
        },
      );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}
