/**
 * Where request logs and `main.log` go: `$WRITABLE_PATH/logs` when that variable is set, else `<config dir>/logs`.
 *
 * CLIProxyAPI resolves `logs` against the config file's directory for request logs (`NewFileRequestLogger` joins a
 * relative directory with the config dir) and falls back to `<auth-dir>/logs` when `./logs` is not writable. Using the
 * config directory for both kinds keeps them together, does not depend on where the process was started, and keeps
 * tests hermetic: a temp config dir gets its own logs.
 */
import { join } from "node:path";
import process from "node:process";

export type Env = Readonly<Record<string, string | undefined>>;

export function resolveLogDir(configDir: string, env?: Env): string {
  const base = writablePath(env);
  return base !== "" ? join(base, "logs") : join(configDir, "logs");
}

function writablePath(env: Env | undefined): string {
  try {
    const e = env ?? process.env;
    return (e.WRITABLE_PATH ?? e.writable_path ?? "").trim();
  } catch {
    // Deno without --allow-env: as if unset.
    return "";
  }
}
