/**
 * The proxy the environment asks for, as Go's `http.ProxyFromEnvironment` reads it (CLIProxyAPI's transport with no
 * `proxy-url`): `HTTPS_PROXY` for https targets, `HTTP_PROXY` for http ones (upper case first, then lower case),
 * `NO_PROXY` exceptions, and never a proxy for loopback targets.
 *
 * Deno's and Bun's `fetch` already follow these variables; Node's `node:http` does not, so Node's leg asks here. The
 * explicit `direct` / `none` proxy setting bypasses them on every runtime.
 */

export type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, name: string): string {
  return env[name.toUpperCase()] || env[name.toLowerCase()] || "";
}

/** True when the environment names any HTTP(S) proxy (so a runtime's default `fetch` would use it). */
export function hasEnvProxy(env: Env): boolean {
  return pick(env, "https_proxy") !== "" || pick(env, "http_proxy") !== "";
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\./.test(host);
}

/**
 * One `NO_PROXY` entry against a target: `*` matches all; `host`, `.domain` and `domain` match the name and its
 * subdomains; an IP matches itself; an optional `:port` must equal the target's.
 */
function excluded(entry: string, host: string, port: string): boolean {
  if (entry === "*") return true;
  let name = entry;
  const colon = entry.lastIndexOf(":");
  // `host:port` (an IPv6 literal without brackets has more than one colon and no port).
  if (colon !== -1 && entry.indexOf(":") === colon) {
    if (entry.slice(colon + 1) !== port) return false;
    name = entry.slice(0, colon);
  } else if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close !== -1 && entry[close + 1] === ":" && entry.slice(close + 2) !== port) return false;
    name = entry.slice(1, close === -1 ? undefined : close);
  }
  if (name.startsWith("*.")) name = name.slice(1);
  if (name.startsWith(".")) return host.endsWith(name) || host === name.slice(1);
  return host === name || host.endsWith("." + name);
}

/** Resolves the environment's proxy for a target URL (null: connect directly). */
export type EnvProxyResolver = (target: URL) => string | null;

/**
 * The environment's proxy settings, read once: null when it names no proxy (the common case costs nothing per
 * request). A value without a scheme is read as `http://`, as Go does.
 */
export function envProxies(env: Env): EnvProxyResolver | null {
  if (!hasEnvProxy(env)) return null;
  const withScheme = (v: string) => v === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`;
  const https = withScheme(pick(env, "https_proxy"));
  const http = withScheme(pick(env, "http_proxy"));
  const exceptions = pick(env, "no_proxy").split(",").map((e) => e.trim().toLowerCase()).filter((e) => e !== "");
  return (target) => {
    const secure = target.protocol === "https:";
    const proxy = secure ? https : http;
    if (proxy === "") return null;
    const host = (target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname).toLowerCase();
    if (isLoopback(host)) return null;
    const port = target.port || (secure ? "443" : "80");
    for (const entry of exceptions) if (excluded(entry, host, port)) return null;
    return proxy;
  };
}

/** The process environment, or none where reading it is not allowed (Deno without `--allow-env`). */
export function processEnv(): Env {
  try {
    return { ...(globalThis as { process?: { env: Env } }).process?.env };
  } catch {
    return {};
  }
}
