/**
 * `proxy-url` end to end (behaviour.md §2.1, issue 4 item 5): a real Switchyard with an openai-compatibility entry
 * pointing at a fake upstream, reached through loopback fake proxies. Global and per-entry values, `direct`, HTTP and
 * SOCKS5(h) proxies with and without credentials, refusals, streaming, HTTPS upstreams, and the startup check.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../../core/http/app.ts";
import { createUpstreamFetch, type UpstreamFetchOptions } from "../../../core/http/upstream-fetch.ts";
import { LogOutput } from "../../../core/log.ts";
import { Runtime } from "../../../core/runtime.ts";
import { BUILTIN_PLUGINS } from "../../../mod.ts";
import {
  makeTestCertificates,
  opensslAvailable,
  startFakeHttpProxy,
  startFakeSocksProxy,
  startTlsFront,
  withCredentials,
} from "../../helpers/fake-proxy.ts";
import {
  chatCompletion,
  chatStreamChunks,
  type FakeUpstream,
  type RecordedRequest,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";

const AUTH = { username: "proxy-user", password: "pr0xy-s3cret-pw" };
const WRONG = { username: "proxy-user", password: "wr0ng-s3cret-pw" };

interface Entry {
  readonly key: string;
  readonly proxy?: string;
}

function config(baseUrl: string, opts: { global?: string; entries?: readonly Entry[] } = {}): string {
  const entries = opts.entries ?? [{ key: "key-A" }];
  const lines = entries.map((e) =>
    `      - {api-key: "${e.key}"${e.proxy === undefined ? "" : `, proxy-url: "${e.proxy}"`}}`
  );
  return `debug: true
routing: {strategy: round-robin}
${opts.global === undefined ? "" : `proxy-url: "${opts.global}"\n`}openai-compatibility:
  - name: fake
    base-url: "${baseUrl}"
    api-key-entries:
${lines.join("\n")}
    models: [{name: up, alias: m}]
`;
}

function chatRequest(base: string, stream = false): Request {
  return new Request(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "hi" }] }),
  });
}

async function chat(url: string, stream = false): Promise<{ status: number; text: string }> {
  const res = await fetch(chatRequest(url, stream));
  return { status: res.status, text: await res.text() };
}

function content(text: string): string {
  return (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}

const keyOf = (req: RecordedRequest) => (req.headers.get("authorization") ?? "").replace("Bearer ", "");

/** Echoes the key that reached the upstream (as a stream when asked for one). */
function echoUpstream(): Promise<FakeUpstream> {
  return startFakeUpstream((req) =>
    req.json?.stream === true
      ? { kind: "sse", chunks: chatStreamChunks(["via ", keyOf(req)]) }
      : { kind: "json", body: chatCompletion(`via ${keyOf(req)}`) }
  );
}

async function cleanup(...fns: (() => Promise<void>)[]): Promise<void> {
  for (const f of fns) await f().catch(() => {});
}

describe("proxy-url through a real Switchyard", () => {
  test("global http proxy: the request goes through it in absolute form and succeeds", async () => {
    const up = await echoUpstream();
    const proxy = await startFakeHttpProxy();
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url, { global: proxy.url }));
      const r = await chat(sy.url);
      assert.equal(r.status, 200, r.text);
      assert.equal(content(r.text), "via key-A");
      assert.deepEqual(proxy.records.map((x) => [x.method, x.target]), [["POST", `${up.url}/chat/completions`]]);
      assert.equal(up.requests.length, 1);
      assert.equal(up.requests[0]!.headers.get("proxy-authorization"), null, "proxy headers stop at the proxy");
    } finally {
      await cleanup(async () => await sy?.stop(), proxy.close, up.close);
    }
  });

  test("a per-entry proxy-url beats the global one; an entry without one uses the global", async () => {
    const up = await echoUpstream();
    const globalProxy = await startFakeHttpProxy();
    const entryProxy = await startFakeHttpProxy();
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url, {
        global: globalProxy.url,
        entries: [{ key: "key-A", proxy: entryProxy.url }, { key: "key-B" }],
      }));
      const served = [content((await chat(sy.url)).text), content((await chat(sy.url)).text)];
      assert.deepEqual(served.sort(), ["via key-A", "via key-B"]);
      assert.equal(entryProxy.records.length, 1);
      assert.equal(globalProxy.records.length, 1);
      const byProxy = (records: { target: string }[]) => records.map((r) => r.target);
      assert.deepEqual(byProxy(entryProxy.records), [`${up.url}/chat/completions`]);
      // The upstream tells the two apart by key: key-A came through the entry's proxy.
      const keys = up.requests.map(keyOf);
      assert.deepEqual(keys.sort(), ["key-A", "key-B"]);
    } finally {
      await cleanup(async () => await sy?.stop(), globalProxy.close, entryProxy.close, up.close);
    }
  });

  test("`direct` (and `none`) on an entry bypass the global proxy", async () => {
    const up = await echoUpstream();
    const globalProxy = await startFakeHttpProxy();
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url, {
        global: globalProxy.url,
        entries: [{ key: "key-A", proxy: "direct" }, { key: "key-B", proxy: "none" }],
      }));
      for (let i = 0; i < 2; i++) assert.equal((await chat(sy.url)).status, 200);
      assert.equal(globalProxy.records.length, 0);
      assert.deepEqual(up.requests.map(keyOf).sort(), ["key-A", "key-B"]);
    } finally {
      await cleanup(async () => await sy?.stop(), globalProxy.close, up.close);
    }
  });

  test("socks5 resolves the upstream name locally; socks5h sends it to the proxy", async () => {
    const up = await echoUpstream();
    const socks = await startFakeSocksProxy();
    const base = up.url.replace("127.0.0.1", "localhost");
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(base, {
        entries: [{ key: "key-A", proxy: socks.url }, {
          key: "key-B",
          proxy: socks.url.replace("socks5:", "socks5h:"),
        }],
      }));
      const a = await chat(sy.url);
      const b = await chat(sy.url);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      const port = Number(new URL(up.url).port);
      const byKey = new Map([[content(a.text), socks.records[0]!], [content(b.text), socks.records[1]!]]);
      const local = byKey.get("via key-A")!;
      const remote = byKey.get("via key-B")!;
      assert.notEqual(local.addressType, "domain");
      assert.equal(local.port, port);
      assert.deepEqual([remote.addressType, remote.host, remote.port], ["domain", "localhost", port]);
    } finally {
      await cleanup(async () => await sy?.stop(), socks.close, up.close);
    }
  });

  test("proxy credentials: HTTP Basic and SOCKS5 username/password", async () => {
    const up = await echoUpstream();
    const http = await startFakeHttpProxy({ auth: AUTH });
    const socks = await startFakeSocksProxy({ auth: AUTH });
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url, {
        entries: [
          { key: "key-A", proxy: withCredentials(http.url, AUTH) },
          { key: "key-B", proxy: withCredentials(socks.url, AUTH, "socks5h") },
        ],
      }));
      assert.deepEqual([content((await chat(sy.url)).text), content((await chat(sy.url)).text)].sort(), [
        "via key-A",
        "via key-B",
      ]);
      assert.deepEqual(http.records.map((r) => r.refused), [false]);
      assert.deepEqual(socks.records.map((r) => [r.username, r.refused]), [[AUTH.username, false]]);
      assert.ok(!sy.logs.join("\n").includes(AUTH.password), "the password is never logged");
    } finally {
      await cleanup(async () => await sy?.stop(), http.close, socks.close, up.close);
    }
  });

  for (const kind of ["HTTP 407", "SOCKS5 authentication failure"] as const) {
    test(`a proxy that refuses (${kind}): the client gets a 502 without the proxy password`, async () => {
      const up = await echoUpstream();
      const proxy = kind === "HTTP 407"
        ? await startFakeHttpProxy({ auth: AUTH })
        : await startFakeSocksProxy({ auth: AUTH });
      let sy: TestSwitchyard | null = null;
      try {
        sy = await startTestSwitchyard(config(up.url, { global: withCredentials(proxy.url, WRONG) }));
        const r = await chat(sy.url);
        assert.equal(r.status, 502, r.text);
        assert.ok(!r.text.includes(WRONG.password), r.text);
        assert.ok(!r.text.includes(encodeURIComponent(WRONG.password)), r.text);
        assert.ok(r.text.includes(`***@127.0.0.1:${proxy.port}`), `names the proxy, masked: ${r.text}`);
        assert.equal(up.requests.length, 0);
        assert.ok(proxy.records.length >= 1 && proxy.records.every((x) => x.refused));
        const logs = sy.logs.join("\n");
        assert.ok(!logs.includes(WRONG.password), "the password is never logged");
      } finally {
        await cleanup(async () => await sy?.stop(), proxy.close, up.close);
      }
    });
  }

  test("streaming through a proxy arrives whole and in order", async () => {
    const pieces = ["Hel", "lo ", "through ", "a ", "proxy"];
    const up = await startFakeUpstream(() => ({ kind: "sse", chunks: chatStreamChunks(pieces), delayMs: 10 }));
    const http = await startFakeHttpProxy();
    const socks = await startFakeSocksProxy();
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url, {
        entries: [{ key: "key-A", proxy: http.url }, { key: "key-B", proxy: socks.url }],
      }));
      for (let i = 0; i < 2; i++) {
        const r = await chat(sy.url, true);
        assert.equal(r.status, 200, r.text);
        const deltas = r.text.split("\n").filter((l) => l.startsWith("data: {")).map((l) =>
          (JSON.parse(l.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? ""
        );
        assert.equal(deltas.join(""), pieces.join(""));
        assert.ok(r.text.trimEnd().endsWith("data: [DONE]"));
      }
      assert.equal(http.records.length, 1);
      assert.equal(socks.records.length, 1);
    } finally {
      await cleanup(async () => await sy?.stop(), http.close, socks.close, up.close);
    }
  });
});

describe("proxy-url is checked at startup and on reload", () => {
  test("an unsupported scheme fails startup with the key and the masked URL", async () => {
    await assert.rejects(
      startTestSwitchyard(config("http://127.0.0.1:9", { global: "socks4://bob:hunter2@127.0.0.1:1080" })),
      (err: Error) => {
        assert.ok(
          err.message.includes(
            'proxy-url: "socks4://***@127.0.0.1:1080": unsupported scheme socks4 (use http, https, socks5 or socks5h)',
          ),
          err.message,
        );
        assert.ok(!err.message.includes("hunter2"), err.message);
        return true;
      },
    );
  });

  test("a malformed per-entry value names its path", async () => {
    await assert.rejects(
      startTestSwitchyard(config("http://127.0.0.1:9", {
        entries: [{ key: "key-A", proxy: "http://ok.example:3128" }, { key: "key-B", proxy: "proxy.example:3128" }],
      })),
      /openai-compatibility\[0\]\.api-key-entries\[1\]\.proxy-url: "proxy\.example:3128": (not a URL|unsupported scheme)/,
    );
  });

  test("a reload with a bad proxy-url is refused and the running config keeps serving", async () => {
    const up = await echoUpstream();
    let sy: TestSwitchyard | null = null;
    try {
      sy = await startTestSwitchyard(config(up.url));
      await writeFile(sy.configPath, config(up.url, { global: "gopher://u:topsecret@h:70" }));
      await assert.rejects(sy.runtime.reload(), (err: Error) => {
        assert.match(err.message, /proxy-url: "gopher:\/\/\*\*\*@h:70": unsupported scheme gopher/);
        assert.ok(!err.message.includes("topsecret"));
        return true;
      });
      assert.equal((await chat(sy.url)).status, 200);
    } finally {
      await cleanup(async () => await sy?.stop(), up.close);
    }
  });
});

/** Runtime + app without a listener, with a custom upstream leg (trusting the test CA, or forcing CONNECT). */
async function startWithLeg(configYaml: string, leg: UpstreamFetchOptions) {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-proxy-test-"));
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, configYaml);
  const logs: string[] = [];
  const runtime = await Runtime.start({
    configPath,
    builtins: BUILTIN_PLUGINS,
    watch: false,
    logOutput: new LogOutput("debug", (_level, line) => logs.push(line)),
    fetchUpstream: await createUpstreamFetch(leg),
  });
  const app = createApp(runtime);
  return {
    app,
    logs,
    async stop() {
      await runtime.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

if (opensslAvailable()) {
  test("an https upstream through an HTTP proxy (CONNECT, TLS with SNI) and through socks5h", async () => {
    const certs = makeTestCertificates();
    const up = await echoUpstream();
    const front = await startTlsFront(certs, Number(new URL(up.url).port));
    const http = await startFakeHttpProxy({ auth: AUTH });
    const socks = await startFakeSocksProxy();
    let sy: Awaited<ReturnType<typeof startWithLeg>> | null = null;
    try {
      sy = await startWithLeg(
        config(front.url, {
          entries: [{ key: "key-A", proxy: withCredentials(http.url, AUTH) }, {
            key: "key-B",
            proxy: socks.url.replace("socks5:", "socks5h:"),
          }],
        }),
        { caCerts: [certs.ca] },
      );
      const served: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await sy.app.fetch(chatRequest("http://switchyard.test", i >= 2));
        const text = await res.text();
        assert.equal(res.status, 200, text);
        served.push(i >= 2 ? (text.includes("data: [DONE]") ? "stream" : text) : content(text));
      }
      assert.deepEqual(served.slice(0, 2).sort(), ["via key-A", "via key-B"]);
      assert.deepEqual(served.slice(2), ["stream", "stream"]);
      assert.deepEqual(http.records.map((r) => [r.method, r.target]), [["CONNECT", `localhost:${front.port}`]]);
      assert.deepEqual(socks.records.map((r) => [r.addressType, r.host, r.port]), [[
        "domain",
        "localhost",
        front.port,
      ]]);
      assert.ok(
        front.serverNames.length >= 2 && front.serverNames.every((n) => n === "localhost"),
        `${front.serverNames}`,
      );
      assert.ok(!sy.logs.join("\n").includes(AUTH.password));
    } finally {
      await cleanup(async () => await sy?.stop(), http.close, socks.close, front.close, up.close);
    }
  });
} else {
  test("(no openssl) the CONNECT tunnel end to end, with an http upstream forced through CONNECT", async () => {
    const up = await echoUpstream();
    const http = await startFakeHttpProxy({ auth: AUTH });
    let sy: Awaited<ReturnType<typeof startWithLeg>> | null = null;
    try {
      sy = await startWithLeg(config(up.url, { global: withCredentials(http.url, AUTH) }), { forceConnect: true });
      const res = await sy.app.fetch(chatRequest("http://switchyard.test"));
      assert.equal(res.status, 200);
      assert.equal(content(await res.text()), "via key-A");
      assert.deepEqual(http.records.map((r) => r.method), ["CONNECT"]);
    } finally {
      await cleanup(async () => await sy?.stop(), http.close, up.close);
    }
  });
}
