/**
 * The environment's proxy (HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read as Go's ProxyFromEnvironment does, which is what
 * CLIProxyAPI's transport uses when no `proxy-url` is set), and an explicit `direct` bypassing it on every runtime.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { envProxies, hasEnvProxy } from "../../../core/http/proxy/env-proxy.ts";
import { createNodeHttpFetch } from "../../../core/http/upstream-fetch-node.ts";
import { readAllText, type UpstreamFetch } from "../../../core/http/upstream-fetch.ts";
import { type FakeProxy, type HttpProxyRecord, startFakeHttpProxy } from "../../helpers/fake-proxy.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { runtime } from "../../harness/runtime.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

describe("envProxies", () => {
  const u = (s: string) => new URL(s);

  test("no proxy variables: nothing to resolve", () => {
    assert.equal(envProxies({}), null);
    assert.equal(envProxies({ NO_PROXY: "*", PATH: "/bin" }), null);
    assert.equal(hasEnvProxy({ http_proxy: "" }), false);
  });

  test("HTTPS_PROXY for https targets, HTTP_PROXY for http ones, no fallback between them", () => {
    const both = envProxies({ HTTPS_PROXY: "http://s.example:1", HTTP_PROXY: "http://p.example:2" })!;
    assert.equal(both(u("https://api.example.com/v1")), "http://s.example:1");
    assert.equal(both(u("http://api.example.com/v1")), "http://p.example:2");
    const secureOnly = envProxies({ HTTPS_PROXY: "http://s.example:1" })!;
    assert.equal(secureOnly(u("http://api.example.com/v1")), null);
  });

  test("upper case wins over lower case; a value without a scheme is http://", () => {
    const r = envProxies({ HTTP_PROXY: "upper.example:3128", http_proxy: "http://lower.example:1" })!;
    assert.equal(r(u("http://api.example.com/")), "http://upper.example:3128");
    assert.equal(
      envProxies({ https_proxy: "socks5://l.example:1080" })!(u("https://a.example/")),
      "socks5://l.example:1080",
    );
  });

  test("localhost and loopback addresses never use the proxy (other names under .localhost do, as in Go)", () => {
    const r = envProxies({ HTTP_PROXY: "http://p.example:2", HTTPS_PROXY: "http://p.example:2" })!;
    const direct = [
      "http://localhost:8317/",
      "http://127.0.0.1/",
      "http://127.9.9.9:1/",
      "https://[::1]:8/",
      "http://[::ffff:127.0.0.1]/",
    ];
    for (const target of direct) assert.equal(r(u(target)), null, target);
    assert.equal(r(u("http://app.localhost/")), "http://p.example:2");
    assert.equal(r(u("http://128.0.0.1/")), "http://p.example:2");
  });

  test("NO_PROXY: *, names with their subdomains, .domain and *.domain for subdomains only, ports, IPs, CIDR", () => {
    const P = "http://p.example:2";
    const r = (no: string) => envProxies({ HTTPS_PROXY: P, NO_PROXY: no })!;
    const cases: [string, string, string | null][] = [
      ["*", "https://api.example.com/", null],
      ["api.example.com", "https://api.example.com/", null],
      ["example.com", "https://api.example.com/", null],
      ["example.com", "https://example.com/", null],
      [".example.com", "https://a.b.example.com/", null],
      [".example.com", "https://example.com/", P],
      ["*.example.com", "https://a.example.com/", null],
      ["*.example.com", "https://example.com/", P],
      ["ample.com", "https://api.example.com/", P],
      ["api.example.com:443", "https://api.example.com/", null],
      ["api.example.com:8443", "https://api.example.com/", P],
      ["api.example.com:8443", "https://api.example.com:8443/", null],
      [" other.org , API.Example.com ", "https://api.example.com/", null],
      ["10.0.0.5", "https://10.0.0.5:9/", null],
      ["10.0.0.5:443", "https://10.0.0.5/", null],
      ["10.0.0.5:80", "https://10.0.0.5/", P],
      ["10.0.0.0/8", "https://10.200.3.4/", null],
      ["10.0.0.0/8", "https://11.0.0.1/", P],
      ["192.168.1.0/24", "https://192.168.1.77/", null],
      ["192.168.1.0/24", "https://192.168.2.77/", P],
      ["fd00::/8", "https://[fd12:3456::1]/", null],
      ["fd00::/8", "https://[fe80::1]/", P],
      ["[2001:db8::1]:443", "https://[2001:db8::1]/", null],
      ["2001:db8::1", "https://[2001:db8:0:0::1]/", null],
      ["::ffff:10.1.2.3", "https://10.1.2.3/", null],
      ["not a cidr/99", "https://api.example.com/", P],
      ["10.0.0.0/", "https://8.8.8.8/", P],
      ["10.0.0.0/0x8", "https://10.1.1.1/", P],
      ["10.0.0.0/8.0", "https://10.1.1.1/", P],
      ["0.0.0.0/0", "https://8.8.8.8/", null],
      ["010.0.0.1", "https://10.0.0.1/", P],
    ];
    for (const [no, target, want] of cases) assert.equal(r(no)(u(target)), want, `NO_PROXY=${no} ${target}`);
  });
});

describe("the node:http leg follows the environment; `direct` does not", () => {
  let proxy: FakeProxy<HttpProxyRecord>;
  let upstream: FakeUpstream;
  before(async () => {
    proxy = await startFakeHttpProxy();
    upstream = await startFakeUpstream(() => ({ kind: "json", body: { ok: true } }));
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const call = (leg: UpstreamFetch, url: string, p: string | null) =>
    leg({ url, method: "GET", headers: new Headers(), body: null }, new AbortController().signal, p);

  test("no proxy-url: the environment's proxy is used (the fake proxy answers 502: it cannot reach the name)", async () => {
    const before = proxy.records.length;
    const leg = createNodeHttpFetch({ env: { HTTP_PROXY: proxy.url } });
    const res = await call(leg, "http://switchyard-env-proxy.invalid:4321/v1/models", null);
    assert.equal(res.status, 502);
    await readAllText(res.body);
    assert.equal(proxy.records.length, before + 1);
    assert.equal(proxy.records.at(-1)!.target, "http://switchyard-env-proxy.invalid:4321/v1/models");
  });

  test("`direct`, NO_PROXY and loopback targets bypass it", async () => {
    const before = proxy.records.length;
    const leg = createNodeHttpFetch({ env: { HTTP_PROXY: proxy.url } });
    await assert.rejects(call(leg, "http://switchyard-env-proxy.invalid:4321/", "direct"), "resolved here, and fails");
    const excepted = createNodeHttpFetch({ env: { HTTP_PROXY: proxy.url, NO_PROXY: ".invalid" } });
    await assert.rejects(call(excepted, "http://switchyard-env-proxy.invalid:4321/", null));
    const local = await call(leg, `${upstream.url}/x`, null);
    assert.equal(local.status, 200);
    await readAllText(local.body);
    assert.equal(proxy.records.length, before, "the proxy saw none of them");
  });

  test("an unusable environment proxy fails the request with a clear message", async () => {
    const leg = createNodeHttpFetch({ env: { HTTP_PROXY: "ftp://p.example:21" } });
    await assert.rejects(call(leg, "http://api.example.com/", null), /environment's proxy for http: is unusable/);
  });
});

/** A script run as its own process, so the runtime's own `fetch` sees HTTP_PROXY in its real environment. */
const SCRIPT = `
import process from "node:process";
import { createUpstreamFetch } from ${JSON.stringify(join(ROOT, "core/http/upstream-fetch.ts"))};
const leg = await createUpstreamFetch();
const out = {};
for (const proxy of [null, "direct"]) {
  try {
    const res = await leg({ url: "http://switchyard-env-proxy.invalid:4321/x", method: "GET", headers: new Headers(), body: null },
      new AbortController().signal, proxy);
    out[String(proxy)] = res.status;
    await res.body.cancel();
  } catch (err) {
    out[String(proxy)] = "failed";
  }
}
try {
  const res = await leg({ url: process.env.LOOPBACK_TARGET, method: "GET", headers: new Headers(), body: null },
    new AbortController().signal, null);
  out.loopback = res.status;
  await res.body.cancel();
} catch (err) {
  out.loopback = "failed: " + err;
}
console.log(JSON.stringify(out));
`;

test("on this runtime's default leg, `direct` and loopback targets bypass the HTTP_PROXY the runtime's fetch follows", async () => {
  const proxy = await startFakeHttpProxy();
  const local = await startFakeUpstream(() => ({ kind: "json", body: { ok: true } }));
  const dir = await mkdtemp(join(tmpdir(), "switchyard-env-proxy-"));
  try {
    const file = join(dir, "probe.ts");
    await writeFile(file, SCRIPT);
    const args = runtime === "deno"
      ? ["run", "-A", file]
      : runtime === "bun"
      ? ["run", file]
      : ["--import", join(ROOT, "test", "node-loader.mjs"), file];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        HTTP_PROXY: proxy.url,
        http_proxy: proxy.url,
        NO_PROXY: "",
        no_proxy: "",
        LOOPBACK_TARGET: `${local.url}/loopback`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(result.null, 502, "no proxy-url: through the environment's proxy");
    assert.equal(result.direct, "failed", "direct: resolved and dialled here (and .invalid does not resolve)");
    assert.equal(result.loopback, 200, "a loopback target is never proxied (Go's rule; the runtime's fetch would)");
    assert.equal(proxy.records.length, 1, "the proxy saw only the first request");
  } finally {
    await proxy.close();
    await local.close();
    await rm(dir, { recursive: true, force: true });
  }
});
