/**
 * Upstream failures across formats (behaviour.md §1.3, §1.4):
 * - an upstream error before the first byte reaches every client format as that format's error, with the upstream
 *   status (the upstream's own message kept), streaming or not — through raw HTTP (exact envelope) and through each
 *   official SDK (the error it throws carries the status);
 * - a stream cut mid-way ends the client stream with that format's in-stream error and never a clean finish: no
 *   `[DONE]`, no `message_stop`, no `response.completed`, no final Gemini chunk with a finishReason;
 * - a non-stream client of the stream-only Codex backend gets an error, not a partial answer, when the stream is cut.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI } from "@google/genai";
import { MIDFAIL_MESSAGE, type UpstreamFormat } from "../helpers/fake-providers.ts";
import { CLIENT_KEY, type ClientFormat } from "./translation-clients.ts";
import { SAME_FORMAT, startRig, type TranslationRig, UPSTREAMS, via } from "./translation-setup.ts";

type Json = Record<string, unknown>;

const CLIENTS: readonly ClientFormat[] = ["openai-chat", "openai-responses", "claude", "gemini"];

/** A minimal request of each client format, as raw HTTP. */
function rawRequest(client: ClientFormat, base: string, model: string, text: string, stream: boolean): [string, RequestInit] {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` };
  let url: string;
  let body: Json;
  switch (client) {
    case "openai-chat":
      url = `${base}/v1/chat/completions`;
      body = { model, messages: [{ role: "user", content: text }], stream };
      break;
    case "openai-responses":
      url = `${base}/v1/responses`;
      body = { model, input: text, stream };
      break;
    case "claude":
      url = `${base}/v1/messages`;
      headers["anthropic-version"] = "2023-06-01";
      body = { model, max_tokens: 256, messages: [{ role: "user", content: text }], stream };
      break;
    case "gemini":
      url = `${base}/v1beta/models/${model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`;
      body = { contents: [{ role: "user", parts: [{ text }] }] };
      break;
  }
  return [url, { method: "POST", headers, body: JSON.stringify(body) }];
}

/** The message each fake puts in its error body. */
const upstreamMessage = (u: UpstreamFormat, status: number) => `fake ${u} upstream says ${status}`;

/** Asserts `body` is `client`'s own error envelope for `status`, carrying the upstream's message. */
function assertErrorEnvelope(client: ClientFormat, status: number, body: Json, message: string): void {
  const err = body.error as Json | undefined;
  assert.ok(err && typeof err === "object", `an error object: ${JSON.stringify(body)}`);
  assert.equal(err.message, message, "the upstream's message is kept");
  if (client === "claude") {
    assert.equal(body.type, "error");
    assert.equal(err.type, status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error");
    return;
  }
  // OpenAI's envelope (CLIProxyAPI gives Gemini clients the same one): {"error":{message, type[, code]}} — nothing of
  // a foreign format's shape (Claude's top-level type, Gemini's status string).
  assert.deepEqual(Object.keys(body), ["error"], JSON.stringify(body));
  assert.equal(typeof err.type, "string", JSON.stringify(body));
  assert.equal(err.status, undefined, JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------------------------
// Raw SSE reading

interface Frame {
  event?: string;
  data: string;
}

function frames(text: string): Frame[] {
  const out: Frame[] = [];
  for (const block of text.split(/\n\n/)) {
    if (block.trim() === "") continue;
    const f: Frame = { data: "" };
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) f.event = line.slice(7);
      else if (line.startsWith("data: ")) f.data += line.slice(6);
    }
    out.push(f);
  }
  return out;
}

/** The in-stream error a client format ends a cut stream with, and what a clean finish would have looked like. */
function assertCutStream(client: ClientFormat, text: string, cut = true): void {
  const fs = frames(text);
  assert.ok(fs.length >= 2, `some content, then the error: ${text}`);
  const last = fs.at(-1)!;
  const json = JSON.parse(last.data) as Json;
  switch (client) {
    case "openai-chat":
      assert.ok(!text.includes("data: [DONE]"), "no [DONE] after a cut");
      assert.equal(last.event, undefined);
      assert.ok(json.error && typeof (json.error as Json).message === "string", `last frame is the error envelope: ${last.data}`);
      assert.ok(!fs.some((f) => f.data.includes('"finish_reason":"stop"')), "no clean finish_reason");
      break;
    case "openai-responses":
      assert.ok(!fs.some((f) => f.event === "response.completed"), "no response.completed after a cut");
      assert.equal(last.event, "error");
      assert.equal(json.type, "error");
      assert.equal(typeof json.message, "string");
      break;
    case "claude":
      assert.ok(!fs.some((f) => f.event === "message_stop"), "no message_stop after a cut");
      assert.ok(!fs.some((f) => f.event === "message_delta"), "no message_delta after a cut");
      assert.equal(last.event, "error");
      assert.equal(json.type, "error");
      assert.equal(typeof (json.error as Json).type, "string");
      break;
    case "gemini":
      // The Gemini API's own error chunk: @google/genai fails the stream on it (it ignores `event:` frames).
      assert.ok(!fs.some((f) => f.data.includes('"finishReason"')), "no final chunk after a cut");
      assert.equal(last.event, undefined);
      assert.equal(typeof (json.error as Json).message, "string");
      if (cut) {
        assert.equal((json.error as Json).code, 502);
        assert.equal((json.error as Json).status, "UNAVAILABLE");
      } else {
        assert.ok(Number((json.error as Json).code) >= 500, "the upstream's failure is a server error");
        assert.equal(typeof (json.error as Json).status, "string");
      }
      break;
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe("upstream errors and cut streams across formats", () => {
  let rig: TranslationRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.stop();
  });

  describe("an error before the first byte: the client's error envelope with the upstream status", () => {
    for (const client of CLIENTS) {
      for (const upstream of UPSTREAMS) {
        if (SAME_FORMAT[client] === upstream) continue;
        for (const status of [429, 400]) {
          for (const stream of [false, true]) {
            test(`${client} ← ${upstream} ${status}, ${stream ? "stream" : "non-stream"}`, async () => {
              const [url, init] = rawRequest(client, rig.sy.url, via(upstream), `please fail [[error ${status}]]`, stream);
              const res = await fetch(url, init);
              const text = await res.text();
              assert.equal(res.status, status, text);
              assert.match(res.headers.get("content-type") ?? "", /application\/json/, "a plain JSON error, not a stream");
              assertErrorEnvelope(client, status, JSON.parse(text), upstreamMessage(upstream, status));
            });
          }
        }
      }
    }
  });

  describe("the official SDKs surface those errors with the upstream status", () => {
    const fail = "please fail [[error 429]]";
    for (const stream of [false, true]) {
      const mode = stream ? "stream" : "non-stream";
      test(`openai chat ← claude 429, ${mode}`, async () => {
        const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${rig.sy.url}/v1`, maxRetries: 0 });
        const params = { model: via("claude"), messages: [{ role: "user" as const, content: fail }] };
        const call = stream
          ? client.chat.completions.stream({ ...params, stream: true }).finalChatCompletion()
          : client.chat.completions.create(params);
        await assert.rejects(call, (e: unknown) => e instanceof OpenAI.APIError && e.status === 429 && e.message.includes("fake claude upstream says 429"));
      });
      test(`openai responses ← gemini 429, ${mode}`, async () => {
        const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${rig.sy.url}/v1`, maxRetries: 0 });
        const call = stream
          ? client.responses.stream({ model: via("gemini"), input: fail, stream: true }).finalResponse()
          : client.responses.create({ model: via("gemini"), input: fail });
        await assert.rejects(call, (e: unknown) => e instanceof OpenAI.APIError && e.status === 429 && e.message.includes("fake gemini upstream says 429"));
      });
      test(`anthropic ← openai 400 and codex 429, ${mode}`, async () => {
        const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: rig.sy.url, maxRetries: 0 });
        for (const [upstream, status] of [["openai", 400], ["codex", 429]] as const) {
          const params = { model: via(upstream), max_tokens: 100, messages: [{ role: "user" as const, content: `x [[error ${status}]]` }] };
          const call = stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
          await assert.rejects(call, (e: unknown) => {
            assert.ok(e instanceof Anthropic.APIError, String(e));
            assert.equal(e.status, status);
            assert.equal((e.error as { error?: { type?: string } }).error?.type, status === 429 ? "rate_limit_error" : "invalid_request_error");
            return true;
          });
        }
      });
      test(`google genai ← claude 429, ${mode}`, async () => {
        const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: rig.sy.url } });
        const call = stream
          ? (async () => {
            for await (const _ of await ai.models.generateContentStream({ model: via("claude"), contents: fail })) { /* drain */ }
          })()
          : ai.models.generateContent({ model: via("claude"), contents: fail });
        await assert.rejects(call, (e: unknown) => e instanceof ApiError && e.status === 429 && e.message.includes("fake claude upstream says 429"));
      });
    }
  });

  describe("a stream cut mid-way ends with the client format's error, never a clean finish", () => {
    for (const client of CLIENTS) {
      for (const upstream of UPSTREAMS) {
        if (SAME_FORMAT[client] === upstream) continue;
        test(`${client} ← ${upstream}`, async () => {
          const [url, init] = rawRequest(client, rig.sy.url, via(upstream), "tell me a story [[cut]]", true);
          const res = await fetch(url, init);
          assert.equal(res.status, 200, "the stream had started");
          assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
          assertCutStream(client, await res.text());
        });
      }
    }

    for (const client of CLIENTS) {
      for (const upstream of UPSTREAMS) {
        if (SAME_FORMAT[client] === upstream) continue;
        test(`${client} ← ${upstream}: the upstream's own in-stream error event mid-way`, async () => {
          const [url, init] = rawRequest(client, rig.sy.url, via(upstream), "tell me a story [[midfail]]", true);
          const res = await fetch(url, init);
          assert.equal(res.status, 200, "the stream had started");
          const text = await res.text();
          assertCutStream(client, text, false);
          assert.ok(text.includes(MIDFAIL_MESSAGE), `the upstream's message reaches the client: ${text}`);
        });
      }
    }

    test("the SDKs reject a cut stream instead of returning a partial answer", async () => {
      const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${rig.sy.url}/v1`, maxRetries: 0 });
      await assert.rejects(
        openai.chat.completions.stream({ model: via("gemini"), messages: [{ role: "user", content: "x [[cut]]" }], stream: true }).finalChatCompletion(),
      );
      await assert.rejects(openai.responses.stream({ model: via("claude"), input: "x [[cut]]", stream: true }).finalResponse());
      const anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: rig.sy.url, maxRetries: 0 });
      await assert.rejects(
        anthropic.messages.stream({ model: via("openai"), max_tokens: 100, messages: [{ role: "user", content: "x [[cut]]" }] }).finalMessage(),
      );
      const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: rig.sy.url } });
      await assert.rejects((async () => {
        for await (const _ of await ai.models.generateContentStream({ model: via("codex"), contents: "x [[cut]]" })) { /* drain */ }
      })());
    });

    for (const client of CLIENTS) {
      if (client === "openai-responses") continue;
      test(`non-stream ${client} ← codex (stream-only upstream) cut: an error, not a partial answer`, async () => {
        const [url, init] = rawRequest(client, rig.sy.url, via("codex"), "tell me a story [[cut]]", false);
        const res = await fetch(url, init);
        const text = await res.text();
        assert.equal(res.status, 502, text);
        const body = JSON.parse(text) as Json;
        assert.equal(typeof (body.error as Json).message, "string");
        if (client === "claude") assert.equal(body.type, "error");
      });
    }
  });
});
