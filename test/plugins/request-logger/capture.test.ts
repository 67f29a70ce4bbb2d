/** The per-request tap: references only, errors-only capture while request-log is off, the byte cap. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { pathAndQuery, RequestCapture } from "../../../plugins/request-logger/capture.ts";
import { ProxyError } from "../../../core/http/proxy-error.ts";
import { enc, fakeRc, fakeTarget, summary, upstreamRequest } from "./helpers.ts";

const now = () => 1_700_000_000_000;

describe("request capture (tap)", () => {
  test("full capture keeps references to every chunk, in order, and builds an entry from them", () => {
    const rc = fakeRc({ url: "http://127.0.0.1:8317/v1/chat/completions?x=1", stream: true });
    const c = new RequestCapture(rc, true, now);
    const up = upstreamRequest();
    c.upstreamRequest(1, up, fakeTarget());
    const upHeaders = new Headers({ "content-type": "text/event-stream" });
    c.upstreamResponse(1, 200, upHeaders);
    const chunks = [enc.encode("data: 1\n\n"), enc.encode("data: 2\n\n")];
    for (const ch of chunks) c.upstreamChunk(1, ch);
    const head = new Headers({ "content-type": "text/event-stream" });
    c.clientHead(200, head);
    for (const ch of chunks) c.clientChunk(ch);
    const e = c.toEntry(summary({ stream: true }), false);
    assert.equal(e.url, "/v1/chat/completions?x=1");
    assert.equal(e.method, "POST");
    assert.equal(e.requestId, rc.id);
    assert.equal(e.attempts.length, 1);
    assert.equal(e.attempts[0]!.headers, up.headers, "a reference, not a copy");
    assert.equal(e.attempts[0]!.status, 200);
    assert.deepEqual(e.attempts[0]!.responseBody, chunks);
    assert.equal((e.attempts[0]!.responseBody as Uint8Array[])[0], chunks[0], "same chunk objects");
    assert.equal(e.responseHeaders, head);
    assert.deepEqual(e.responseBody, chunks);
    assert.equal(c.bytes, 36);
  });

  test("the request body is the one the client sent, even if a plugin replaces rc.body later", () => {
    const rc = fakeRc({ body: { model: "original" } });
    const c = new RequestCapture(rc, true, now);
    rc.body = { model: "rewritten" };
    // The raw bytes the client sent, not a re-serialisation of rc.body.
    assert.equal(c.toEntry(summary(), false).requestBody, '{"model":"original"}');
  });

  test("errors-only capture (request-log off) keeps bytes only of failed attempts and of an error response", () => {
    const c = new RequestCapture(fakeRc(), false, now);
    c.upstreamRequest(1, upstreamRequest(), fakeTarget());
    c.upstreamResponse(1, 500, new Headers());
    c.upstreamChunk(1, enc.encode('{"error":"boom"}'));
    c.upstreamRequest(2, upstreamRequest(), fakeTarget());
    c.upstreamResponse(2, 200, new Headers());
    c.upstreamChunk(2, enc.encode('{"ok":true}'));
    c.clientHead(200, new Headers());
    c.clientChunk(enc.encode('{"ok":true}'));
    const e = c.toEntry(summary(), true);
    assert.equal((e.attempts[0]!.responseBody as Uint8Array[]).length, 1, "the failed attempt's error body");
    assert.equal((e.attempts[1]!.responseBody as Uint8Array[]).length, 0, "a successful attempt's body is not kept");
    assert.equal((e.responseBody as Uint8Array[]).length, 0);

    const failed = new RequestCapture(fakeRc(), false, now);
    failed.clientHead(400, new Headers());
    failed.clientChunk(enc.encode('{"error":{}}'));
    assert.equal((failed.toEntry(summary({ status: 400 }), true).responseBody as Uint8Array[]).length, 1);
  });

  test("the error the client got becomes an API ERROR RESPONSE (upstream body preferred)", () => {
    const c = new RequestCapture(fakeRc(), false, now);
    const err = new ProxyError(502, "upstream_error", "upstream said no", { upstreamBody: '{"error":"quota"}' });
    const e = c.toEntry(summary({ status: 502, error: err }), true);
    assert.deepEqual(e.errors, [{ status: 502, message: '{"error":"quota"}' }]);
    assert.equal(e.status, 502, "falls back to the summary status when no client head was seen");
  });

  test("bytes beyond the cap are left out and counted; a chunk that crosses it is cut", () => {
    const c = new RequestCapture(fakeRc(), true, now, 10);
    c.clientHead(200, new Headers());
    c.clientChunk(enc.encode("123456"));
    c.clientChunk(enc.encode("789012"));
    c.clientChunk(enc.encode("345"));
    const e = c.toEntry(summary(), false);
    const kept = (e.responseBody as Uint8Array[]).map((b) => new TextDecoder().decode(b)).join("");
    assert.equal(kept, "1234567890");
    assert.equal(e.truncatedBytes, 5);
  });

  test("chunks for an attempt that never started are ignored", () => {
    const c = new RequestCapture(fakeRc(), true, now);
    assert.doesNotThrow(() => c.upstreamChunk(3, enc.encode("x")));
    assert.doesNotThrow(() => c.upstreamResponse(3, 200, new Headers()));
  });

  test("pathAndQuery", () => {
    assert.equal(pathAndQuery("http://h:1/v1/x?y=1"), "/v1/x?y=1");
    assert.equal(pathAndQuery("http://h:1"), "/");
    assert.equal(pathAndQuery("http://h:1?a=b"), "/?a=b");
    assert.equal(pathAndQuery("/already/a/path"), "/already/a/path");
  });
});
