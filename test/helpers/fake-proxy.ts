/**
 * Loopback fakes of outbound proxies for tests, built on `node:net` (and `node:tls` for a proxy spoken to over TLS)
 * so they run under Deno, Bun and Node alike:
 *
 * - an HTTP proxy: absolute-URI forwarding (`GET http://host/path`) and CONNECT tunnelling, with optional Basic
 *   credentials (407 on a missing or wrong `Proxy-Authorization`);
 * - a SOCKS5 proxy (RFC 1928): no-auth or RFC 1929 username/password, CONNECT only, IPv4 / IPv6 / domain targets.
 *
 * Both listen on 127.0.0.1 port 0 and record what they saw. A target `localhost` or `::1` is dialled as 127.0.0.1 (the
 * fake upstreams listen there), after being recorded as the client sent it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";

export interface ProxyAuth {
  readonly username: string;
  readonly password: string;
}

/** One request or tunnel the HTTP proxy received. */
export interface HttpProxyRecord {
  /** `CONNECT` for a tunnel, else the forwarded request's method. */
  readonly method: string;
  /** The request target: `host:port` for CONNECT, the absolute URI otherwise. */
  readonly target: string;
  /** The raw `Proxy-Authorization` header, or null. */
  readonly proxyAuthorization: string | null;
  /** Answered 407. */
  readonly refused: boolean;
  /** All request headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One CONNECT the SOCKS5 proxy received (or refused at authentication, `host` then empty). */
export interface SocksRecord {
  /** The methods the client offered (0 = no auth, 2 = username/password). */
  readonly methods: readonly number[];
  /** The username sent in the RFC 1929 sub-negotiation, or null. */
  readonly username: string | null;
  readonly addressType: "ipv4" | "ipv6" | "domain" | "";
  readonly host: string;
  readonly port: number;
  /** Authentication failed (no acceptable method or wrong credentials). */
  readonly refused: boolean;
}

export interface FakeProxy<R> {
  /** `http://127.0.0.1:port`, `https://127.0.0.1:port` or `socks5://127.0.0.1:port` (no credentials). */
  readonly url: string;
  readonly port: number;
  readonly records: R[];
  /** Client connections accepted so far (keep-alive reuse shows as fewer connections than records). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Buffered reads over a socket: exact byte counts and "up to the end of the HTTP head". */
class SocketReader {
  #buf: Uint8Array = new Uint8Array(0);
  #ended = false;
  #wake: (() => void) | null = null;
  readonly #socket: net.Socket;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onEnd);
  }

  #onData = (chunk: Uint8Array) => {
    const next = new Uint8Array(this.#buf.length + chunk.length);
    next.set(this.#buf);
    next.set(chunk, this.#buf.length);
    this.#buf = next;
    this.#wake?.();
  };

  #onEnd = () => {
    this.#ended = true;
    this.#wake?.();
  };

  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
    return true;
  }

  /** Exactly `n` bytes, or null when the peer went away first. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!(await this.#more())) return null;
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** The HTTP head up to and including CRLFCRLF, as latin1 text; null at the end of the stream. */
  async head(): Promise<string | null> {
    for (;;) {
      const i = indexOfCrlfCrlf(this.#buf);
      if (i >= 0) {
        const text = latin1(this.#buf.subarray(0, i + 4));
        this.#buf = this.#buf.slice(i + 4);
        return text;
      }
      if (!(await this.#more())) return null;
    }
  }

  /** Stops buffering; returns whatever was read ahead. The socket can then be piped. */
  detach(): Uint8Array {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onEnd);
    this.#socket.off("error", this.#onEnd);
    const rest = this.#buf;
    this.#buf = new Uint8Array(0);
    return rest;
  }
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

function utf8(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

function parseHead(head: string): { method: string; target: string; headers: Record<string, string> } {
  const lines = head.split("\r\n");
  const [method = "", target = ""] = (lines[0] ?? "").split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, target, headers };
}

/** Loopback names and addresses are all dialled as 127.0.0.1, where the fake upstreams listen. */
function dialHost(host: string): string {
  const h = host.startsWith("[") ? host.slice(1, -1) : host;
  return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" ? "127.0.0.1" : h;
}

function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  if (!m) return { host: authority, port: defaultPort };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}

/** Opens a TCP connection; resolves once connected, rejects on error. */
function dial(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: dialHost(host), port });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

function pipeBoth(a: net.Socket, b: net.Socket, aHead: Uint8Array): void {
  if (aHead.length > 0) b.write(aHead);
  a.pipe(b);
  b.pipe(a);
  const destroy = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", destroy);
  b.on("error", destroy);
  a.on("close", destroy);
  b.on("close", destroy);
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
}

function tracker() {
  const sockets = new Set<net.Socket>();
  return {
    add(s: net.Socket) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    },
    destroyAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

function closeServer(server: net.Server, open: ReturnType<typeof tracker>): Promise<void> {
  return new Promise((resolve) => {
    open.destroyAll();
    server.close(() => resolve());
  });
}

export interface HttpProxyOptions {
  /** Require these Basic credentials; anything else gets 407. */
  readonly auth?: ProxyAuth;
  /** Serve the proxy itself over TLS (an `https://` proxy URL) with this PEM cert and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** Starts a loopback HTTP proxy (absolute-URI forwarding and CONNECT). */
export async function startFakeHttpProxy(opts: HttpProxyOptions = {}): Promise<FakeProxy<HttpProxyRecord>> {
  const records: HttpProxyRecord[] = [];
  const open = tracker();
  let connections = 0;
  const expected = opts.auth
    ? "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${opts.auth.username}:${opts.auth.password}`)))
    : null;

  const onClient = async (client: net.Socket) => {
    connections++;
    open.add(client);
    client.on("error", () => client.destroy());
    const reader = new SocketReader(client);
    // One upstream connection per client connection (absolute-URI forwarding keeps it for keep-alive reuse).
    let upstream: net.Socket | null = null;
    let upstreamAuthority = "";
    for (;;) {
      const head = await reader.head();
      if (head === null) {
        upstream?.end();
        return;
      }
      const { method, target, headers } = parseHead(head);
      const auth = headers["proxy-authorization"] ?? null;
      const refused = expected !== null && auth !== expected;
      records.push({ method, target, proxyAuthorization: auth, refused, headers });
      if (refused) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="fake"\r\n' +
            "Content-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
      }
      if (method === "CONNECT") {
        const { host, port } = splitHostPort(target, 443);
        let tunnel: net.Socket;
        try {
          tunnel = await dial(host, port);
        } catch {
          client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
        open.add(tunnel);
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        pipeBoth(client, tunnel, reader.detach());
        return;
      }
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        client.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      const length = Number(headers["content-length"] ?? "0");
      const body = length > 0 ? await reader.read(length) : new Uint8Array(0);
      if (body === null) return;
      if (upstream === null || upstreamAuthority !== url.host) {
        // A keep-alive client may send its next request to another origin: the old upstream goes, the client stays.
        if (upstream !== null) {
          upstream.unpipe(client);
          upstream.removeAllListeners("error");
          upstream.on("error", () => {});
          upstream.destroy();
        }
        try {
          upstream = await dial(url.hostname, Number(url.port || 80));
        } catch {
          client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
        upstreamAuthority = url.host;
        open.add(upstream);
        const up = upstream;
        up.pipe(client, { end: false });
        up.on("error", () => client.destroy());
        // The origin closed its side: the client connection stays, and its next request dials again.
        up.on("close", () => {
          if (upstream === up) upstream = null;
        });
      }
      const kept = head.split("\r\n").slice(1).filter((l) => {
        const name = l.slice(0, l.indexOf(":")).trim().toLowerCase();
        return l !== "" && name !== "proxy-authorization" && name !== "proxy-connection";
      });
      upstream.write(`${method} ${url.pathname}${url.search} HTTP/1.1\r\n${kept.join("\r\n")}\r\n\r\n`);
      if (body.length > 0) upstream.write(body);
    }
  };

  const server = opts.tls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, (s) => void onClient(s))
    : net.createServer((s) => void onClient(s));
  const port = await listen(server);
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    records,
    get connections() {
      return connections;
    },
    close: () => closeServer(server, open),
  };
}

export interface SocksProxyOptions {
  /** Require RFC 1929 username/password; without it only "no authentication" is accepted. */
  readonly auth?: ProxyAuth;
}

/** Starts a loopback SOCKS5 proxy (CONNECT only). */
export async function startFakeSocksProxy(opts: SocksProxyOptions = {}): Promise<FakeProxy<SocksRecord>> {
  const records: SocksRecord[] = [];
  const open = tracker();
  let connections = 0;

  const onClient = async (client: net.Socket) => {
    connections++;
    open.add(client);
    client.on("error", () => client.destroy());
    const reader = new SocketReader(client);
    const refuse = (methods: number[], username: string | null, reply: Uint8Array) => {
      records.push({ methods, username, addressType: "", host: "", port: 0, refused: true });
      client.end(reply);
    };

    const greeting = await reader.read(2);
    if (greeting === null || greeting[0] !== 5) return void client.destroy();
    const offered = await reader.read(greeting[1]!);
    if (offered === null) return;
    const methods = [...offered];
    const wanted = opts.auth ? 2 : 0;
    if (!methods.includes(wanted)) return refuse(methods, null, new Uint8Array([5, 0xff]));
    client.write(new Uint8Array([5, wanted]));

    let username: string | null = null;
    if (opts.auth) {
      const ver = await reader.read(2);
      if (ver === null) return;
      const user = await reader.read(ver[1]!);
      const plen = await reader.read(1);
      const pass = plen && (await reader.read(plen[0]!));
      if (!user || !pass) return;
      username = utf8(user);
      if (ver[0] !== 1 || username !== opts.auth.username || utf8(pass) !== opts.auth.password) {
        return refuse(methods, username, new Uint8Array([1, 1]));
      }
      client.write(new Uint8Array([1, 0]));
    }

    const req = await reader.read(4);
    if (req === null || req[0] !== 5) return void client.destroy();
    let addressType: SocksRecord["addressType"];
    let host: string;
    if (req[3] === 1) {
      const a = await reader.read(4);
      if (!a) return;
      addressType = "ipv4";
      host = [...a].join(".");
    } else if (req[3] === 4) {
      const a = await reader.read(16);
      if (!a) return;
      addressType = "ipv6";
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
      host = groups.join(":");
    } else if (req[3] === 3) {
      const len = await reader.read(1);
      const name = len && (await reader.read(len[0]!));
      if (!name) return;
      addressType = "domain";
      host = utf8(name);
    } else {
      client.end(new Uint8Array([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
      return;
    }
    const portBytes = await reader.read(2);
    if (!portBytes) return;
    const port = (portBytes[0]! << 8) | portBytes[1]!;
    records.push({ methods, username, addressType, host, port, refused: false });
    if (req[1] !== 1) {
      client.end(new Uint8Array([5, 7, 0, 1, 0, 0, 0, 0, 0, 0])); // command not supported
      return;
    }
    let target: net.Socket;
    try {
      target = await dial(host, port);
    } catch {
      client.end(new Uint8Array([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])); // connection refused
      return;
    }
    open.add(target);
    client.write(new Uint8Array([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
    pipeBoth(client, target, reader.detach());
  };

  const server = net.createServer((s) => void onClient(s));
  const port = await listen(server);
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    records,
    get connections() {
      return connections;
    },
    close: () => closeServer(server, open),
  };
}

/** `scheme://user:pass@127.0.0.1:port` from a fake proxy's URL. */
export function withCredentials(url: string, auth: ProxyAuth, scheme?: string): string {
  const u = new URL(url);
  const s = scheme ?? u.protocol.slice(0, -1);
  return `${s}://${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@${u.host}`;
}

export interface TestCertificates {
  /** PEM of the test CA: trust it (`caCerts`) to reach servers using `cert`. */
  readonly ca: string;
  /** PEM leaf certificate for `localhost` and 127.0.0.1, signed by `ca`. */
  readonly cert: string;
  readonly key: string;
}

/** True when the `openssl` CLI can be run (node:crypto cannot make X.509 certificates). */
export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/**
 * A throwaway CA and a server certificate for `localhost` / 127.0.0.1 (P-256, valid 2 days), made with the `openssl`
 * CLI in a temp directory that is removed afterwards. Throws when openssl is missing.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-certs-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    run([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=Switchyard Test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"]);
    writeFileSync(
      join(dir, "leaf.ext"),
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
        "extendedKeyUsage=serverAuth\n",
    );
    run([
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      "-days",
      "2",
      "-extfile",
      "leaf.ext",
    ]);
    return {
      ca: readFileSync(join(dir, "ca.pem"), "utf8"),
      cert: readFileSync(join(dir, "leaf.pem"), "utf8"),
      key: readFileSync(join(dir, "leaf.key"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TlsFront {
  /** `https://localhost:port` */
  readonly url: string;
  readonly port: number;
  /** The SNI server name of each accepted TLS connection (null when the client sent none). */
  readonly serverNames: (string | null)[];
  close(): Promise<void>;
}

/**
 * A TLS terminator on 127.0.0.1 in front of a plain HTTP server (a fake upstream): an HTTPS upstream for tests, which
 * records the SNI name each client sent.
 */
export async function startTlsFront(certs: TestCertificates, targetPort: number): Promise<TlsFront> {
  const open = tracker();
  const serverNames: (string | null)[] = [];
  const server = tls.createServer({ cert: certs.cert, key: certs.key }, async (client) => {
    open.add(client);
    serverNames.push((client as tls.TLSSocket & { servername?: string | false }).servername || null);
    client.on("error", () => client.destroy());
    let target: net.Socket;
    try {
      target = await dial("127.0.0.1", targetPort);
    } catch {
      client.destroy();
      return;
    }
    open.add(target);
    pipeBoth(client, target, new Uint8Array(0));
  });
  const port = await listen(server);
  return { url: `https://localhost:${port}`, port, serverNames, close: () => closeServer(server, open) };
}
