/**
 * The same-format path does not JSON.parse content deltas (core/formats/format-profile.ts: a pass-through stream is
 * only observed, by cheap string tests, for usage, its terminal event and in-band errors).
 *
 * Method: Switchyard, the fake upstreams and this test share one process, so the test temporarily replaces the
 * global `JSON.parse` with a counting wrapper for the duration of one streamed request — from sending it to having
 * read the whole response as text (the response is not parsed while counting). The upstream streams DELTAS content
 * deltas ([[many N]] in the fakes). A pass-through must stay at a handful of parses (request bodies, the usage and
 * terminal events), far below the number of deltas. As a control, the same stream translated to another format
 * must parse at least once per delta — which shows the counter does see Switchyard's parses.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CLIENT_KEY, type ClientFormat } from "./translation-clients.ts";
import { SAME_FORMAT, startRig, type TranslationRig, via } from "./translation-setup.ts";
import type { UpstreamFormat } from "../helpers/fake-providers.ts";

const DELTAS = 2000;
/** Far below DELTAS: a few request bodies and the few events that carry usage or end the stream. */
const PASSTHROUGH_BUDGET = 20;

function streamRequest(client: ClientFormat, base: string, model: string): [string, RequestInit] {
  const text = `count to many [[many ${DELTAS}]]`;
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` };
  switch (client) {
    case "openai-chat":
      return [`${base}/v1/chat/completions`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: text }] }),
      }];
    case "openai-responses":
      return [`${base}/v1/responses`, { method: "POST", headers, body: JSON.stringify({ model, stream: true, input: text }) }];
    case "claude":
      return [`${base}/v1/messages`, {
        method: "POST",
        headers: { ...headers, "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model, stream: true, max_tokens: 4096, messages: [{ role: "user", content: text }] }),
      }];
    case "gemini":
      return [`${base}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
        method: "POST",
        headers,
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
      }];
  }
}

/** Runs `fn` with a counting `JSON.parse`; always restores the original. */
async function countParses(fn: () => Promise<void>): Promise<number> {
  const original = JSON.parse;
  let n = 0;
  JSON.parse = function countingParse(this: unknown, text: string, reviver?: (key: string, value: unknown) => unknown) {
    n++;
    return original.call(JSON, text, reviver);
  } as typeof JSON.parse;
  try {
    await fn();
  } finally {
    JSON.parse = original;
  }
  return n;
}

/** Streams one request and returns the number of parses and the raw body. */
async function measure(rig: TranslationRig, client: ClientFormat, upstream: UpstreamFormat): Promise<{ parses: number; text: string }> {
  const [url, init] = streamRequest(client, rig.sy.url, via(upstream));
  let text = "";
  let status = 0;
  const parses = await countParses(async () => {
    const res = await fetch(url, init);
    status = res.status;
    text = await res.text();
  });
  assert.equal(status, 200, text.slice(0, 500));
  return { parses, text };
}

/** Occurrences of the one-character delta "x" as the client format writes it, counted without parsing. */
function deltaCount(client: ClientFormat, text: string): number {
  const pattern = {
    "openai-chat": /"content":"x"/g,
    "openai-responses": /"delta":"x"/g,
    claude: /"text":"x"/g,
    gemini: /"text":"x"/g,
  }[client];
  return text.match(pattern)?.length ?? 0;
}

describe("the same-format stream path does not JSON.parse content deltas", () => {
  let rig: TranslationRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.stop();
  });

  for (const client of ["openai-chat", "openai-responses", "claude", "gemini"] as const) {
    const upstream = SAME_FORMAT[client];
    test(`${client} → ${upstream} (same format): ${DELTAS} deltas, at most ${PASSTHROUGH_BUDGET} parses`, async () => {
      const { parses, text } = await measure(rig, client, upstream);
      assert.equal(deltaCount(client, text), DELTAS, "every delta reached the client");
      assert.ok(parses <= PASSTHROUGH_BUDGET, `${parses} JSON.parse calls for ${DELTAS} passed-through deltas`);
    });
  }

  test("control: the same stream translated (Claude upstream → Chat client) parses every delta", async () => {
    const { parses, text } = await measure(rig, "openai-chat", "claude");
    assert.equal(deltaCount("openai-chat", text), DELTAS);
    assert.ok(parses >= DELTAS, `the counter sees Switchyard's parses (${parses})`);
  });
});
