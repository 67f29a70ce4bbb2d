/** The log file layout (modules.md §3): sections, order, spacing, masking, stream chunks. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AttemptLog, LogEntry } from "../../../plugins/request-logger/entry.ts";
import { canonicalHeaderName, formatTimestamp, renderLog } from "../../../plugins/request-logger/format.ts";

const enc = new TextEncoder();
const T0 = Date.UTC(2026, 10, 25, 21, 0, 0, 123);

function attempt(over: Partial<AttemptLog> = {}): AttemptLog {
  return {
    index: 1,
    requestedAt: T0 + 5,
    url: "https://api.example.com/v1/chat/completions",
    method: "POST",
    headers: new Headers({ authorization: "Bearer sk-upstream-0123456789abcdef", "content-type": "application/json" }),
    body: '{"model":"real-model","messages":[]}',
    provider: "openai-compatible",
    authId: "openai-compatible:fake#0",
    authLabel: "fake sk-u…cdef",
    status: 200,
    respondedAt: T0 + 50,
    responseHeaders: new Headers({ "content-type": "text/event-stream" }),
    responseBody: [enc.encode('data: {"a":1}\n\n'), enc.encode('data: {"a":2}\n\n'), enc.encode("data: [DONE]\n\n")],
    ...over,
  };
}

function entry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    forced: false,
    requestId: "abc-1",
    timestamp: T0,
    url: "/v1/chat/completions?key=AIzaSyCLIENTKEY123&x=1",
    method: "POST",
    requestHeaders: new Headers({
      authorization: "Bearer client-key-0123456789",
      "content-type": "application/json",
      "x-api-key": "client-xkey-0123456789",
    }),
    requestBody: { model: "alias", stream: true, messages: [{ role: "user", content: "hi" }] },
    attempts: [attempt()],
    errors: [],
    status: 200,
    responseHeaders: new Headers({ "content-type": "text/event-stream", "cache-control": "no-cache" }),
    responseBody: [enc.encode('data: {"a":1}\n\n'), enc.encode('data: {"a":2}\n\n'), enc.encode("data: [DONE]\n\n")],
    stream: true,
    truncatedBytes: 0,
    ...over,
  };
}

const render = (e: LogEntry) => new TextDecoder().decode(renderLog(e, "1.2.3"));

function sectionOrder(text: string): string[] {
  return [...text.matchAll(/^=== ([A-Z ]+(?: \d+)?) ===$/gm)].map((m) => m[1]!);
}

describe("request log layout", () => {
  test("sections in CLIProxyAPI's order, each followed by two blank lines", () => {
    const text = render(entry());
    assert.deepEqual(sectionOrder(text), [
      "REQUEST INFO",
      "HEADERS",
      "REQUEST BODY",
      "API REQUEST 1",
      "API RESPONSE 1",
      "RESPONSE",
    ]);
    for (
      const header of [
        "=== HEADERS ===",
        "=== REQUEST BODY ===",
        "=== API REQUEST 1 ===",
        "=== API RESPONSE 1 ===",
        "=== RESPONSE ===",
      ]
    ) {
      const at = text.indexOf(header);
      assert.ok(text.slice(0, at).endsWith("\n\n\n"), `two blank lines before ${header}`);
      assert.ok(!text.slice(0, at).endsWith("\n\n\n\n"), `no more than two before ${header}`);
    }
  });

  test("REQUEST INFO: version, masked URL, method, transports, timestamp", () => {
    const text = render(entry());
    const info = text.slice(0, text.indexOf("=== HEADERS ==="));
    assert.match(
      info,
      /^=== REQUEST INFO ===\nVersion: 1\.2\.3\nURL: \/v1\/chat\/completions\?key=AIza\.\.\.Y123&x=1\nMethod: POST\nDownstream Transport: http\nUpstream Transport: http\nTimestamp: \S+\n\n\n$/,
    );
    assert.ok(info.includes(`Timestamp: ${formatTimestamp(T0)}`));
  });

  test("client headers are masked; API request headers sorted, masked; auth line names the credential", () => {
    const text = render(entry());
    assert.ok(text.includes("Authorization: Bearer clie...6789\n"));
    assert.ok(text.includes("X-Api-Key: clie...6789\n"));
    assert.ok(text.includes("Content-Type: application/json\n"));
    const api = text.slice(text.indexOf("=== API REQUEST 1 ==="), text.indexOf("=== API RESPONSE 1 ==="));
    assert.match(
      api,
      /^=== API REQUEST 1 ===\nTimestamp: \S+\nUpstream URL: https:\/\/api\.example\.com\/v1\/chat\/completions\nHTTP Method: POST\nAuth: provider=openai-compatible, auth_id=openai-compatible:fake#0, label=fake sk-u…cdef\n\nHeaders:\nAuthorization: Bearer sk-u\.\.\.cdef\nContent-Type: application\/json\n\nBody:\n\{"model":"real-model","messages":\[\]\}\n\n\n$/,
    );
    assert.ok(!text.includes("sk-upstream-0123456789abcdef"));
    assert.ok(!text.includes("client-key-0123456789"));
    assert.ok(!text.includes("AIzaSyCLIENTKEY123"));
  });

  test("REQUEST BODY is the JSON the client sent", () => {
    const text = render(entry());
    assert.ok(
      text.includes(
        '=== REQUEST BODY ===\n{"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}]}\n\n\n',
      ),
    );
  });

  test("API RESPONSE: timestamp, status, headers, stream chunks in order", () => {
    const text = render(entry());
    const api = text.slice(text.indexOf("=== API RESPONSE 1 ==="), text.indexOf("=== RESPONSE ==="));
    assert.match(
      api,
      /^=== API RESPONSE 1 ===\nTimestamp: \S+\n\nStatus: 200\nHeaders:\nContent-Type: text\/event-stream\n\nBody:\ndata: \{"a":1\}\n\ndata: \{"a":2\}\n\ndata: \[DONE\]\n\n\n$/,
    );
  });

  test("RESPONSE: status, headers, blank line, the client body; a stream adds no newline", () => {
    const text = render(entry());
    const resp = text.slice(text.indexOf("=== RESPONSE ==="));
    assert.equal(
      resp,
      '=== RESPONSE ===\nStatus: 200\nCache-Control: no-cache\nContent-Type: text/event-stream\n\ndata: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n',
    );
  });

  test("non-stream: one JSON body and a final newline", () => {
    const body = enc.encode('{"id":"x"}');
    const text = render(entry({
      stream: false,
      attempts: [
        attempt({ responseHeaders: new Headers({ "content-type": "application/json" }), responseBody: [body] }),
      ],
      responseHeaders: new Headers({ "content-type": "application/json" }),
      responseBody: [body],
    }));
    assert.ok(text.endsWith('=== RESPONSE ===\nStatus: 200\nContent-Type: application/json\n\n{"id":"x"}\n'));
  });

  test("errors: API ERROR RESPONSE between API REQUEST and API RESPONSE; every attempt numbered", () => {
    const text = render(entry({
      forced: true,
      stream: false,
      status: 502,
      attempts: [
        attempt({ index: 1, status: 500, responseHeaders: null, responseBody: [enc.encode('{"error":"boom"}')] }),
        attempt({ index: 2, status: null, respondedAt: null, responseHeaders: null, responseBody: null }),
      ],
      errors: [{ status: 502, message: "Upstream openai-compatible unreachable: connect ECONNREFUSED" }],
      responseHeaders: new Headers({ "content-type": "application/json" }),
      responseBody: [enc.encode('{"error":{"message":"bad gateway"}}')],
    }));
    assert.deepEqual(sectionOrder(text), [
      "REQUEST INFO",
      "HEADERS",
      "REQUEST BODY",
      "API REQUEST 1",
      "API REQUEST 2",
      "API ERROR RESPONSE",
      "API RESPONSE 1",
      "RESPONSE",
    ]);
    assert.ok(
      text.includes(
        "=== API ERROR RESPONSE ===\nHTTP Status: 502\nUpstream openai-compatible unreachable: connect ECONNREFUSED\n\n\n",
      ),
    );
    assert.ok(text.includes('Status: 500\nHeaders:\n<none>\n\nBody:\n{"error":"boom"}\n\n\n'));
    assert.ok(text.includes("=== API REQUEST 2 ==="));
  });

  test("a request answered locally has no API sections and no upstream transport", () => {
    const text = render(entry({ attempts: [], status: 400, stream: false, responseBody: [enc.encode("{}")] }));
    assert.deepEqual(sectionOrder(text), ["REQUEST INFO", "HEADERS", "REQUEST BODY", "RESPONSE"]);
    assert.ok(!text.includes("Upstream Transport"));
  });

  test("an empty upstream body is <empty>; a truncated capture says so", () => {
    const text = render(entry({ attempts: [attempt({ body: null })], truncatedBytes: 1234 }));
    assert.ok(text.includes("\nBody:\n<empty>\n\n"));
    assert.ok(text.includes("Capture Truncated: 1234 bytes"));
  });

  test("canonical header names", () => {
    assert.equal(canonicalHeaderName("content-type"), "Content-Type");
    assert.equal(canonicalHeaderName("x-goog-api-key"), "X-Goog-Api-Key");
    assert.equal(canonicalHeaderName("AUTHORIZATION"), "Authorization");
  });
});
