/**
 * The proxy the environment asks for, as Go's `http.ProxyFromEnvironment` reads it (CLIProxyAPI's transport with no
 * `proxy-url`): `HTTPS_PROXY` for https targets, `HTTP_PROXY` for http ones (upper case first, then lower case),
 * `NO_PROXY` exceptions (names, domains, IPs, CIDR blocks, ports), and never a proxy for `localhost` or a loopback
 * address.
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

/** An IP literal as 16 bytes (IPv4 as IPv4-mapped IPv6, so both spellings compare equal, as Go's `IP.Equal`). */
function parseIp(text: string): Uint8Array | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const out = new Uint8Array(16);
    out[10] = out[11] = 0xff;
    for (let i = 0; i < 4; i++) {
      const part = v4[i + 1]!;
      const n = Number(part);
      // Go's ParseIP refuses leading zeros (`010.0.0.1`).
      if (n > 255 || (part.length > 1 && part[0] === "0")) return null;
      out[12 + i] = n;
    }
    return out;
  }
  if (!text.includes(":") || !/^[0-9a-f:.]+$/.test(text)) return null;
  let tail: Uint8Array | null = null;
  let body = text;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    // An embedded IPv4 tail (`::ffff:1.2.3.4`).
    tail = parseIp(text.slice(lastColon + 1));
    if (tail === null) return null;
    body = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (tail !== null) out.set(tail.subarray(12), 12);
  return out;
}

function isLoopbackIp(ip: Uint8Array): boolean {
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) return ip[12] === 127;
  return ip.subarray(0, 15).every((b) => b === 0) && ip[15] === 1;
}

/** The first `bits` bits of `a` and `b` agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

/** One `NO_PROXY` entry, compiled: true when it exempts the target. */
type Matcher = (host: string, ip: Uint8Array | null, port: string) => boolean;

/**
 * Go's `httpproxy` rules: `*` matches everything; `1.2.3.0/24` and `fd00::/8` match addresses in the block; an IP
 * (optionally `ip:port` / `[ipv6]:port`) matches that address; `example.com` matches it and its subdomains,
 * `.example.com` and `*.example.com` only its subdomains; a `:port` must equal the target's (default ports counted).
 */
function compile(entry: string): Matcher | null {
  if (entry === "*") return () => true;
  const slash = entry.indexOf("/");
  if (slash !== -1) {
    const net = parseIp(entry.slice(0, slash));
    const digits = entry.slice(slash + 1);
    // As Go's ParseCIDR: a plain decimal prefix length (`/`, `/0x8` and `/8.0` are not CIDR; the entry then matches
    // nothing).
    if (net === null || !/^\d{1,3}$/.test(digits)) return null;
    const bits = Number(digits);
    const v4 = !entry.slice(0, slash).includes(":");
    if (bits > (v4 ? 32 : 128)) return null;
    const prefix = v4 ? 96 + bits : bits;
    return (_host, ip) => ip !== null && samePrefix(ip, net, prefix);
  }
  let host = entry;
  let port = "";
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) {
    host = bracket[1]!;
    port = bracket[2] ?? "";
  } else if (entry.indexOf(":") === entry.lastIndexOf(":") && entry.includes(":")) {
    host = entry.slice(0, entry.indexOf(":"));
    port = entry.slice(entry.indexOf(":") + 1);
  }
  if (host === "") return null;
  const ip = parseIp(host);
  if (ip !== null) {
    return (_host, target, p) => target !== null && samePrefix(target, ip, 128) && (port === "" || port === p);
  }
  if (host.startsWith("*.")) host = host.slice(1);
  const matchHost = !host.startsWith(".");
  const suffix = matchHost ? "." + host : host;
  return (name, _ip, p) => (name.endsWith(suffix) || (matchHost && name === host)) && (port === "" || port === p);
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
  const exceptions: Matcher[] = [];
  for (const raw of pick(env, "no_proxy").split(",")) {
    const entry = raw.trim().toLowerCase();
    const m = entry === "" ? null : compile(entry);
    if (m !== null) exceptions.push(m);
  }
  return (target) => {
    const secure = target.protocol === "https:";
    const proxy = secure ? https : http;
    if (proxy === "") return null;
    const host = (target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname).toLowerCase();
    const ip = parseIp(host);
    if (host === "localhost" || (ip !== null && isLoopbackIp(ip))) return null;
    const port = target.port || (secure ? "443" : "80");
    for (const exempt of exceptions) if (exempt(host, ip, port)) return null;
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
