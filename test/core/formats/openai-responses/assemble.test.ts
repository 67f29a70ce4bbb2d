/**
 * `assembleResponse()`: the non-stream answer built from a Responses upstream's stream (the Codex backend only
 * streams) equals what parsing the final `response` object gives.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { IrStreamEvent } from "../../../../core/formats/ir.ts";
import {
  assembleResponse,
  openAIResponsesCodec as codec,
  ResponseAssembler,
} from "../../../../core/formats/openai-responses/codec.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { parseStream } from "./stream-check.ts";

const HERE = new URL(".", import.meta.url);
const streams = JSON.parse(
  readFileSync(new URL("../../../conformance/openai-responses/stream-parse.json", HERE), "utf8"),
) as {
  name: string;
  input: string;
}[];
const byName = (prefix: string) => streams.find((v) => v.name.startsWith(`responses stream-parse: ${prefix}`))!.input;
const events = (sse: string) => parseStream(codec.createStreamParser({ model: "m", stream: true }), sse);

describe("assembleResponse()", () => {
  test("assembles the Codex stream: joined summary with its signature, text, tool call, stop and usage", () => {
    assert.deepEqual(assembleResponse(events(byName("Codex stream"))), {
      id: "resp_68a1",
      model: "gpt-5-codex",
      created: 1754000000,
      content: [
        {
          type: "thinking",
          text: "**Listing files**\n\nI'll run ls.",
          signature: "gAAAAABoPRE-final",
          signatureFormat: "openai-responses",
        },
        { type: "text", text: "Voilà — ファイル一覧 🚀" },
        {
          type: "tool_call",
          id: "call_Q1w2e3",
          name: "shell",
          arguments: '{"command":["bash","-lc","ls -la"],"workdir":"/tmp/é"}',
        },
      ],
      stopReason: "tool_use",
      usage: { input: 4021, output: 187, cacheRead: 3968, reasoning: 128 },
    });
  });

  test("equals parsing the terminal response object when that one is complete", () => {
    const sse = byName("an upstream that only sends response.completed");
    const completed = sse.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6))).at(-1);
    assert.deepEqual(assembleResponse(events(sse)), codec.parseResponse(completed));
  });

  test("the assembled response renders as a non-stream Responses body", () => {
    const body = codec.renderResponse(assembleResponse(events(byName("text-only stream"))), {
      model: "client",
      stream: false,
    });
    assert.equal(body.status, "incomplete");
    assert.deepEqual(body.incomplete_details, { reason: "max_output_tokens" });
    assert.deepEqual(
      (body.output as { content: { text: string }[] }[])[0]!.content[0]!.text,
      "Once upon a time, in Zürich…",
    );
  });

  test("an in-stream error is thrown as a ProxyError with the upstream status", () => {
    assert.throws(() => assembleResponse(events(byName("response.failed mid-stream"))), (err: unknown) => {
      assert.ok(err instanceof ProxyError);
      assert.equal(err.status, 503);
      assert.equal(err.kind, "upstream_stream_error");
      assert.equal(err.message, "Our servers are currently overloaded. Please try again later.");
      return true;
    });
  });

  test("an end without finish still stops (tool use when a tool was called); no end leaves it null", () => {
    const base: IrStreamEvent[] = [
      { type: "start", id: "r", model: "m", created: 1 },
      { type: "block_start", index: 0, block: { type: "tool_call", id: "c", name: "f" } },
      { type: "block_stop", index: 0 },
    ];
    assert.equal(assembleResponse([...base, { type: "end" }]).stopReason, "tool_use");
    const open = assembleResponse(base);
    assert.equal(open.stopReason, null);
    assert.deepEqual(open.content, [{ type: "tool_call", id: "c", name: "f", arguments: "{}" }]);
  });

  test("usage after the stop reason wins, start usage is the fallback; unsigned empty thinking is dropped", () => {
    const a = new ResponseAssembler({ signatureFormat: "claude" });
    for (
      const e of [
        { type: "start", id: "msg_1", model: "claude", created: 2, usage: { input: 9, output: 1 } },
        { type: "thinking_delta", index: 0, text: "" },
        { type: "thinking_delta", index: 1, text: "t" },
        { type: "signature_delta", index: 1, signature: "sig" },
        { type: "block_start", index: 2, block: { type: "image", mediaType: "image/png", data: "iVBOR" } },
        { type: "finish", stopReason: "end_turn" },
      ] satisfies IrStreamEvent[]
    ) a.push(e);
    assert.deepEqual(a.result().usage, { input: 9, output: 1 });
    a.push({ type: "finish", usage: { input: 9, output: 30 } });
    const r = a.result();
    assert.deepEqual(r.usage, { input: 9, output: 30 });
    assert.deepEqual(r.content, [
      { type: "thinking", text: "t", signature: "sig", signatureFormat: "claude" },
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } },
    ]);
  });
});
