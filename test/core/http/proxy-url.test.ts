/** Proxy URL parsing, masking and the startup check (core/http/proxy/url.ts, support.ts). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkProxySupport, proxyConfigIssues, proxyLeg, proxyLegFor } from "../../../core/http/proxy/support.ts";
import {
  isDirectProxy,
  maskProxyUrl,
  parseProxyUrl,
  type ProxyEndpoint,
  proxyEndpoint,
  proxyErrorMessage,
} from "../../../core/http/proxy/url.ts";

function parsed(value: string): ProxyEndpoint {
  const ep = parseProxyUrl(value);
  if (typeof ep === "string") throw new Error(`expected ${value} to parse, got: ${ep}`);
  return ep;
}

describe("parseProxyUrl", () => {
  test("the four schemes, with default ports", () => {
    assert.equal(parsed("http://proxy.local").bare, "http://proxy.local:80");
    assert.equal(parsed("https://proxy.local").bare, "https://proxy.local:443");
    assert.equal(parsed("socks5://proxy.local").bare, "socks5://proxy.local:1080");
    assert.equal(parsed("SOCKS5H://Proxy.Local:9050").bare, "socks5h://proxy.local:9050");
  });

  test("credentials are decoded and turned into a Basic header; the masked form hides them", () => {
    const ep = parsed("  http://al%40ice:p%3Ass@10.0.0.1:3128/ignored?x=1  ");
    assert.equal(ep.raw, "http://al%40ice:p%3Ass@10.0.0.1:3128/ignored?x=1");
    assert.equal(ep.username, "al@ice");
    assert.equal(ep.password, "p:ss");
    assert.equal(ep.authorization, `Basic ${btoa("al@ice:p:ss")}`);
    assert.equal(ep.masked, "http://***@10.0.0.1:3128");
    assert.equal(ep.hostname, "10.0.0.1");
    assert.equal(ep.port, 3128);
  });

  test("IPv6 proxies lose their brackets in hostname and keep them in URLs", () => {
    const ep = parsed("socks5://u:pw@[::1]:1080");
    assert.equal(ep.hostname, "::1");
    assert.equal(ep.bare, "socks5://[::1]:1080");
    assert.equal(ep.masked, "socks5://***@[::1]:1080");
  });

  test("a user name without password", () => {
    const ep = parsed("socks5://tokenuser@h:1");
    assert.equal(ep.username, "tokenuser");
    assert.equal(ep.password, "");
  });

  test("refusals say why", () => {
    assert.match(
      parseProxyUrl("socks4://h:1") as string,
      /^unsupported scheme socks4 \(use http, https, socks5 or socks5h\)$/,
    );
    assert.match(parseProxyUrl("ftp://h") as string, /unsupported scheme ftp/);
    assert.match(parseProxyUrl("127.0.0.1:8080") as string, /not a URL/);
    assert.match(parseProxyUrl("proxy.local:8080") as string, /not a URL|unsupported scheme/);
    assert.match(parseProxyUrl("http://") as string, /malformed|missing host/);
    assert.match(parseProxyUrl("http://h:99999") as string, /malformed|invalid port/);
    assert.match(parseProxyUrl("socks5://:1080") as string, /malformed|missing host/);
  });
});

describe("masking", () => {
  test("maskProxyUrl hides user info even in values that do not parse", () => {
    assert.equal(maskProxyUrl("socks4://bob:hunter2@h:1"), "socks4://***@h:1");
    assert.equal(maskProxyUrl("http://a:b@c@h:1/p@q"), "http://***@h:1/p@q");
    assert.equal(maskProxyUrl("http://h:1"), "http://h:1");
    assert.equal(maskProxyUrl("bob:hunter2@h:1"), "***@h:1");
  });

  test("proxyErrorMessage scrubs the raw URL, the password (plain and encoded) and the Basic token", () => {
    const ep = parsed("http://bob:s3cr%2Ft@h:8080");
    const raw = `connect to ${ep.raw} failed; password s3cr/t; encoded s3cr%2Ft; header ${ep.authorization}`;
    const message = proxyErrorMessage(ep, new Error(raw));
    assert.ok(!message.includes("s3cr"), message);
    assert.ok(!message.includes(ep.authorization!.slice(6)), message);
    assert.equal(message, "connect to http://***@h:8080 failed; password ***; encoded ***; header ***");
    assert.equal(proxyErrorMessage(ep, new Error("ECONNREFUSED")), "via proxy http://***@h:8080: ECONNREFUSED");
    // Already naming the proxy: not prefixed twice.
    assert.equal(proxyErrorMessage(ep, new Error(`proxy ${ep.masked} refused`)), `proxy ${ep.masked} refused`);
  });

  test("proxyEndpoint caches by string and throws masked for a bad value", () => {
    assert.equal(proxyEndpoint("http://h:1"), proxyEndpoint("http://h:1"));
    assert.throws(() => proxyEndpoint("socks4://bob:hunter2@h:1"), (err: Error) => {
      assert.ok(!err.message.includes("hunter2"));
      assert.match(err.message, /unsupported scheme socks4/);
      return true;
    });
  });
});

describe("checkProxySupport", () => {
  test("inherit and direct are fine; direct / none in any case", () => {
    for (const v of ["", "  ", "direct", "none", " DIRECT ", "None"]) assert.equal(checkProxySupport(v), null, v);
    assert.ok(isDirectProxy(" Direct "));
    assert.ok(!isDirectProxy("http://direct"));
  });

  test("every scheme is served on every runtime (natively or by the node:http leg)", () => {
    for (const runtime of ["deno", "bun", "node"] as const) {
      for (const scheme of ["http", "https", "socks5", "socks5h"] as const) {
        assert.notEqual(proxyLeg(scheme, runtime), null, `${scheme} on ${runtime}`);
        assert.equal(checkProxySupport(`${scheme}://u:p@h:1`, runtime), null);
      }
    }
    assert.equal(proxyLeg("socks5", "bun"), "node");
    assert.equal(proxyLeg("socks5", "deno"), "node", "Deno's socks5 does not resolve locally");
    assert.equal(proxyLeg("socks5h", "deno"), "native");
    assert.equal(proxyLeg("http", "bun"), "native");
    assert.equal(proxyLegFor(parsed("https://h:1"), "deno"), "native");
    assert.equal(
      proxyLegFor(parsed("https://u:p@h:1"), "deno"),
      "node",
      "Deno drops proxy credentials for http targets",
    );
  });

  test("bad values get the reason, never the URL", () => {
    const problem = checkProxySupport("socks4://bob:hunter2@h:1");
    assert.equal(problem, "unsupported scheme socks4 (use http, https, socks5 or socks5h)");
  });
});

describe("proxyConfigIssues", () => {
  test("names each bad value by its config path, masked, and credentials not from the config by id", () => {
    const config = {
      "proxy-url": "socks4://bob:hunter2@h:1",
      "openai-compatibility": [
        { name: "a", "api-key-entries": [{ "api-key": "k", "proxy-url": "http://ok:1" }, { "proxy-url": "nope" }] },
      ],
      "claude-api-key": [{ "api-key": "k", "proxy-url": "direct" }],
    };
    const credentials = [
      { id: "openai-compatible:a#0", proxyUrl: "http://ok:1" },
      { id: "openai-compatible:a#1", proxyUrl: "nope" },
      { id: "codex:file.json", proxyUrl: "gopher://x:1" },
      { id: "claude:0" },
    ];
    const issues = proxyConfigIssues(config, credentials);
    assert.deepEqual(issues.map((i) => i.path), [
      "proxy-url",
      "openai-compatibility[0].api-key-entries[1].proxy-url",
      "credential codex:file.json proxy-url",
    ]);
    assert.equal(
      issues[0]!.message,
      '"socks4://***@h:1": unsupported scheme socks4 (use http, https, socks5 or socks5h)',
    );
    assert.match(issues[1]!.message, /^"nope": not a URL/);
    assert.ok(!JSON.stringify(issues).includes("hunter2"));
  });

  test("a clean config has no issues", () => {
    assert.deepEqual(proxyConfigIssues({ "proxy-url": "", x: [{ "proxy-url": "socks5h://h:1" }] }, []), []);
  });
});
