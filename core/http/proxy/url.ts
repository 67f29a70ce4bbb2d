/**
 * Outbound proxy URLs (`proxy-url`, global and per credential): parsing, validation and masking. Runtime-neutral.
 *
 * Accepted, as CLIProxyAPI (`sdk/proxyutil`): surrounding spaces are trimmed; `direct` / `none` (any case) mean "no
 * proxy, not even the global one"; otherwise `scheme://[user[:pass]@]host[:port]` with scheme `http`, `https` (TLS to
 * the proxy), `socks5` (target name resolved here) or `socks5h` (target name sent to the proxy). A path, query or
 * fragment is ignored. Default ports: http 80, https 443, socks5(h) 1080.
 *
 * A URL is parsed once and cached: the request path looks its parsed form up by the string it was given.
 */

export type ProxyScheme = "http" | "https" | "socks5" | "socks5h";

export const PROXY_SCHEMES: readonly ProxyScheme[] = ["http", "https", "socks5", "socks5h"];

/** A parsed proxy URL. `password` and `authorization` are secrets: log `masked`, never `raw`. */
export interface ProxyEndpoint {
  /** The configured value, trimmed. May hold a password. */
  readonly raw: string;
  /** Safe to log: the user info replaced by `***`. */
  readonly masked: string;
  readonly scheme: ProxyScheme;
  /** Host name or IP literal, without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
  /** `scheme://host:port` with an explicit port and no credentials. */
  readonly bare: string;
  /** Decoded user name, or null when the URL has no user info. */
  readonly username: string | null;
  /** Decoded password ("" when only a user name is given), or null without user info. */
  readonly password: string | null;
  /** `Basic …` for `Proxy-Authorization`, or null without user info. */
  readonly authorization: string | null;
}

const DEFAULT_PORT: Record<ProxyScheme, number> = { http: 80, https: 443, socks5: 1080, socks5h: 1080 };

/** `direct` / `none` in any case, spaces around allowed: bypass every proxy. */
export function isDirectProxy(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === "direct" || v === "none";
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function base64Utf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Masks the user info of anything that looks like `scheme://user[:pass]@…`, without needing the value to parse. Safe
 * on malformed input: everything between `://` and the last `@` before the host is replaced.
 */
export function maskProxyUrl(value: string): string {
  const v = value.trim();
  const start = v.indexOf("://");
  if (start < 0) return v.includes("@") ? `***@${v.slice(v.lastIndexOf("@") + 1)}` : v;
  const authorityStart = start + 3;
  let authorityEnd = v.length;
  for (const c of ["/", "?", "#"]) {
    const i = v.indexOf(c, authorityStart);
    if (i >= 0 && i < authorityEnd) authorityEnd = i;
  }
  const at = v.lastIndexOf("@", authorityEnd - 1);
  if (at < authorityStart) return v;
  return `${v.slice(0, authorityStart)}***@${v.slice(at + 1)}`;
}

/** Parses a proxy URL; returns why it is unusable as a string. `direct` / `none` are not URLs: check them first. */
export function parseProxyUrl(value: string): ProxyEndpoint | string {
  const raw = value.trim();
  if (raw === "") return "empty proxy URL";
  const colon = raw.indexOf(":");
  const scheme = colon > 0 && /^[a-z][a-z0-9+.-]*$/i.test(raw.slice(0, colon)) ? raw.slice(0, colon).toLowerCase() : "";
  if (scheme === "" || !raw.slice(colon + 1).startsWith("//")) {
    return "not a URL (expected scheme://[user:pass@]host:port with scheme http, https, socks5 or socks5h)";
  }
  if (!(PROXY_SCHEMES as readonly string[]).includes(scheme)) {
    return `unsupported scheme ${scheme} (use http, https, socks5 or socks5h)`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "malformed URL (expected scheme://[user:pass@]host:port)";
  }
  const s = scheme as ProxyScheme;
  let hostname = url.hostname;
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  if (hostname === "") return "missing host";
  // Non-special schemes (socks5…) keep a host as written: decode it and refuse what cannot be a host name.
  hostname = decode(hostname).toLowerCase();
  if (/[\s/\\@?#]/.test(hostname)) return `invalid host ${JSON.stringify(hostname)}`;
  const port = url.port === "" ? DEFAULT_PORT[s] : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `invalid port ${url.port}`;
  const hasUser = url.username !== "" || url.password !== "" || /^[^/]*@/.test(raw.slice(colon + 3));
  const username = hasUser ? decode(url.username) : null;
  const password = hasUser ? decode(url.password) : null;
  const hostPart = hostname.includes(":") ? `[${hostname}]` : hostname;
  const bare = `${s}://${hostPart}:${port}`;
  return Object.freeze({
    raw,
    masked: hasUser ? `${s}://***@${hostPart}:${port}` : bare,
    scheme: s,
    hostname,
    port,
    bare,
    username,
    password,
    authorization: hasUser ? `Basic ${base64Utf8(`${username}:${password}`)}` : null,
  });
}

const cache = new Map<string, ProxyEndpoint>();

/**
 * The parsed form of a proxy URL that passed validation, cached by the exact string. Throws (with the URL masked)
 * for a value that does not parse — validation at snapshot build keeps those out of the request path.
 */
export function proxyEndpoint(value: string): ProxyEndpoint {
  let ep = cache.get(value);
  if (ep === undefined) {
    const parsed = parseProxyUrl(value);
    if (typeof parsed === "string") throw new Error(`proxy-url "${maskProxyUrl(value)}": ${parsed}`);
    ep = parsed;
    if (cache.size > 1024) cache.clear(); // bounded: values come from config and auth files, not from clients
    cache.set(value, ep);
  }
  return ep;
}

/**
 * Removes the proxy's secrets from an error message (a runtime may echo the proxy URL or the credentials) and names
 * the proxy by its masked URL.
 */
export function proxyErrorMessage(ep: ProxyEndpoint, err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  if (ep.raw !== ep.masked) message = message.split(ep.raw).join(ep.masked);
  const secrets = [
    ep.authorization,
    ep.authorization?.slice(6),
    ep.password,
    ep.password && encodeURIComponent(ep.password),
  ];
  for (const secret of secrets) {
    // A one- or two-character password would mask every such letter of the message and protects nothing anyway.
    if (secret && secret.length >= 3) message = message.split(secret).join("***");
  }
  return message.includes(ep.masked) ? message : `via proxy ${ep.masked}: ${message}`;
}
