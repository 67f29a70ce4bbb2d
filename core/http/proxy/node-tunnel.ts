/**
 * Outbound proxies for the `node:http` upstream leg: HTTP CONNECT tunnels (to an `http://` proxy, or over TLS to an
 * `https://` one) and a minimal SOCKS5 client (RFC 1928 CONNECT; no-auth and RFC 1929 username/password; IPv4, IPv6
 * and domain targets), plus the keep-alive agents that pool the resulting connections.
 *
 * - `ForwardAgent`: connections to an HTTP(S) proxy for `http:` targets; the request goes out in absolute form
 *   (`GET http://host/path`) with `Proxy-Authorization`. Pooled per proxy.
 * - `TunnelAgent`: one tunnel per connection (CONNECT or SOCKS5), then TLS to the target for `https:` targets (SNI =
 *   the target host). Requests are addressed to the target, so the agent pools per (proxy, target): an idle tunnel is
 *   reused by the next request to the same host and port.
 *
 * Only `node:` built-ins that Deno and Bun also implement: Deno and Bun use this leg for the schemes their own
 * `fetch` cannot do (see support.ts).
 */
import dns from "node:dns";
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { type ProxyEndpoint, proxyErrorMessage } from "./url.ts";

/** A tunnel not set up within this time fails (a proxy that accepts and then says nothing). */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Longest CONNECT response head accepted. */
const MAX_HEAD = 16 * 1024;

export interface TunnelTlsOptions {
  /** Extra trusted root certificates (PEM), added to the default ones: for the target and an `https://` proxy. */
  readonly ca?: readonly string[];
}

function trustedRoots(ca: readonly string[] | undefined): string[] | undefined {
  return ca && ca.length > 0 ? [...tls.rootCertificates, ...ca] : undefined;
}

/** The connection to the proxy itself: TCP, or TLS for an `https://` proxy (ALPN pinned to HTTP/1.1). */
export function openProxySocket(ep: ProxyEndpoint, opts: TunnelTlsOptions): net.Socket {
  if (ep.scheme !== "https") return net.connect({ host: ep.hostname, port: ep.port });
  return tls.connect({
    host: ep.hostname,
    port: ep.port,
    servername: net.isIP(ep.hostname) ? undefined : ep.hostname,
    ALPNProtocols: ["http/1.1"],
    ca: trustedRoots(opts.ca),
  });
}

/** Resolves once the socket is connected (TLS: handshake done); rejects on error, close or timeout. */
function connected(socket: net.Socket, secure: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      socket.off(secure ? "secureConnect" : "connect", onOk);
      socket.off("error", onErr);
      socket.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onOk = () => done();
    const onErr = (e: Error) => done(e);
    const onClose = () => done(new Error("connection closed"));
    socket.once(secure ? "secureConnect" : "connect", onOk);
    socket.once("error", onErr);
    socket.once("close", onClose);
  });
}

/**
 * Reads exactly `n` bytes in paused mode, leaving whatever follows in the socket's buffer for the next reader (TLS or
 * the HTTP parser): no `data` listener is ever attached, so nothing is consumed past the handshake.
 */
function readExact(socket: Duplex, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const chunk = socket.read(n) as Uint8Array | null;
      if (chunk !== null) {
        if (chunk.length < n) return finish(new Error("connection closed during the proxy handshake"));
        return finish(null, chunk);
      }
      if (socket.readableEnded || socket.destroyed) finish(new Error("connection closed during the proxy handshake"));
    };
    const onEnd = () => finish(new Error("connection closed during the proxy handshake"));
    const onError = (e: Error) => finish(e);
    const finish = (err: Error | null, chunk?: Uint8Array) => {
      socket.off("readable", attempt);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      if (err) reject(err);
      else resolve(chunk!);
    };
    socket.on("readable", attempt);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onError);
    attempt();
  });
}

async function readHead(socket: Duplex): Promise<string> {
  let head = "";
  while (!head.endsWith("\r\n\r\n")) {
    if (head.length > MAX_HEAD) throw new Error("proxy sent an oversized CONNECT response");
    head += String.fromCharCode((await readExact(socket, 1))[0]!);
  }
  return head;
}

function hostHeader(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Sends `CONNECT host:port` on a socket connected to an HTTP(S) proxy and waits for its 2xx. */
async function httpConnect(socket: Duplex, ep: ProxyEndpoint, host: string, port: number): Promise<void> {
  const authority = hostHeader(host, port);
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (ep.authorization !== null) head += `Proxy-Authorization: ${ep.authorization}\r\n`;
  socket.write(head + "\r\n");
  const response = await readHead(socket);
  const statusLine = response.slice(0, response.indexOf("\r\n"));
  const m = /^HTTP\/1\.[01] (\d{3})\s*(.*)$/.exec(statusLine);
  if (!m) throw new Error(`proxy ${ep.masked} sent a malformed CONNECT response`);
  const status = Number(m[1]);
  if (status < 200 || status > 299) {
    throw new Error(`proxy ${ep.masked} refused CONNECT ${authority}: ${status}${m[2] ? ` ${m[2]}` : ""}`);
  }
}

const SOCKS_REPLIES: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

function ipv6Bytes(address: string): Uint8Array {
  // Expand `::` and an embedded IPv4 tail, then write eight 16-bit groups.
  let a = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const [p, q, r, s] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    a = a.slice(0, -v4[1]!.length) + `${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [left, right] = a.includes("::") ? a.split("::") as [string, string] : [a, null];
  const l = left ? left.split(":") : [];
  const r = right ? right.split(":") : [];
  const groups = right === null ? l : [...l, ...Array(8 - l.length - r.length).fill("0"), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function lookup(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    dns.lookup(host, (err, address) => (err ? reject(err) : resolve(address)));
  });
}

/** RFC 1928 CONNECT to `host:port` on a socket connected to a SOCKS5 proxy. */
async function socks5Connect(socket: Duplex, ep: ProxyEndpoint, host: string, port: number): Promise<void> {
  const withAuth = ep.username !== null;
  socket.write(withAuth ? new Uint8Array([5, 2, 0, 2]) : new Uint8Array([5, 1, 0]));
  const choice = await readExact(socket, 2);
  if (choice[0] !== 5) throw new Error(`proxy ${ep.masked} is not a SOCKS5 server`);
  if (choice[1] === 0xff) {
    throw new Error(
      `proxy ${ep.masked} accepts none of the offered authentication methods` +
        (withAuth ? "" : " (it may need a user name and password)"),
    );
  }
  if (choice[1] === 2) {
    if (!withAuth) throw new Error(`proxy ${ep.masked} asks for a user name and password, none configured`);
    const user = new TextEncoder().encode(ep.username!);
    const pass = new TextEncoder().encode(ep.password ?? "");
    if (user.length > 255 || pass.length > 255) throw new Error("SOCKS5 user name or password longer than 255 bytes");
    const msg = new Uint8Array(3 + user.length + pass.length);
    msg[0] = 1;
    msg[1] = user.length;
    msg.set(user, 2);
    msg[2 + user.length] = pass.length;
    msg.set(pass, 3 + user.length);
    socket.write(msg);
    const status = await readExact(socket, 2);
    if (status[1] !== 0) throw new Error(`proxy ${ep.masked} rejected the SOCKS5 user name or password`);
  } else if (choice[1] !== 0) {
    throw new Error(`proxy ${ep.masked} chose an unsupported SOCKS5 authentication method ${choice[1]}`);
  }

  // socks5h: the proxy resolves names; socks5: resolve here and send the address.
  let target = host;
  if (net.isIP(target) === 0 && ep.scheme === "socks5") target = await lookup(host);
  let address: Uint8Array;
  const family = net.isIP(target);
  if (family === 4) address = new Uint8Array([1, ...target.split(".").map(Number)]);
  else if (family === 6) address = new Uint8Array([4, ...ipv6Bytes(target)]);
  else {
    const name = new TextEncoder().encode(target);
    if (name.length > 255) throw new Error("target host name longer than 255 bytes");
    address = new Uint8Array([3, name.length, ...name]);
  }
  const request = new Uint8Array(3 + address.length + 2);
  request.set([5, 1, 0]);
  request.set(address, 3);
  request[3 + address.length] = port >> 8;
  request[4 + address.length] = port & 0xff;
  socket.write(request);

  const reply = await readExact(socket, 4);
  if (reply[0] !== 5) throw new Error(`proxy ${ep.masked} sent a malformed SOCKS5 reply`);
  if (reply[1] !== 0) {
    const why = SOCKS_REPLIES[reply[1]!] ?? `error ${reply[1]}`;
    throw new Error(`proxy ${ep.masked} could not connect to ${hostHeader(host, port)}: ${why}`);
  }
  const boundLength = reply[3] === 1 ? 4 : reply[3] === 4 ? 16 : reply[3] === 3 ? (await readExact(socket, 1))[0]! : -1;
  if (boundLength < 0) throw new Error(`proxy ${ep.masked} sent a malformed SOCKS5 reply`);
  await readExact(socket, boundLength + 2);
}

/**
 * Opens a tunnel to `host:port` through the proxy, then TLS to the target when `secure`. Resolves with the socket to
 * speak HTTP/1.1 on. Errors name the proxy by its masked URL and never contain its credentials.
 */
export async function openTunnel(
  ep: ProxyEndpoint,
  host: string,
  port: number,
  secure: boolean,
  opts: TunnelTlsOptions,
): Promise<net.Socket> {
  const socket = openProxySocket(ep, opts);
  const onTimeout = () => {
    socket.destroy(new Error(`proxy ${ep.masked} did not set up the tunnel within ${HANDSHAKE_TIMEOUT_MS / 1000} s`));
  };
  socket.setTimeout(HANDSHAKE_TIMEOUT_MS);
  socket.on("timeout", onTimeout);
  try {
    await connected(socket, ep.scheme === "https");
    if (ep.scheme === "http" || ep.scheme === "https") await httpConnect(socket, ep, host, port);
    else await socks5Connect(socket, ep, host, port);
    let out: net.Socket = socket;
    if (secure) {
      out = tls.connect({
        socket,
        servername: net.isIP(host) ? undefined : host,
        ALPNProtocols: ["http/1.1"],
        ca: trustedRoots(opts.ca),
      });
      await connected(out, true);
    }
    socket.setTimeout(0);
    socket.off("timeout", onTimeout);
    return out;
  } catch (err) {
    socket.destroy();
    throw new Error(proxyErrorMessage(ep, err));
  }
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

const AGENT_OPTIONS: http.AgentOptions = { keepAlive: true, maxSockets: 1024 };

/** Connections to an HTTP(S) proxy, for `http:` targets sent in absolute form. Pooled per proxy. */
export class ForwardAgent extends http.Agent {
  readonly #ep: ProxyEndpoint;
  readonly #opts: TunnelTlsOptions;

  constructor(ep: ProxyEndpoint, opts: TunnelTlsOptions) {
    super(AGENT_OPTIONS);
    this.#ep = ep;
    this.#opts = opts;
  }

  override createConnection(): Duplex {
    return openProxySocket(this.#ep, this.#opts);
  }
}

/** Tunnels (CONNECT or SOCKS5) to the request's host and port, TLS on top when `secure`. Pooled per target. */
export class TunnelAgent extends http.Agent {
  readonly #ep: ProxyEndpoint;
  readonly #secure: boolean;
  readonly #opts: TunnelTlsOptions;

  constructor(ep: ProxyEndpoint, secure: boolean, opts: TunnelTlsOptions) {
    super(AGENT_OPTIONS);
    this.#ep = ep;
    this.#secure = secure;
    this.#opts = opts;
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const host = String(options.hostname ?? options.host ?? "");
    const port = Number(options.port ?? (this.#secure ? 443 : 80));
    openTunnel(this.#ep, host, port, this.#secure, this.#opts).then(
      (socket) => callback!(null, socket),
      (err: Error) => callback!(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}
