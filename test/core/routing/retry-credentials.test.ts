/**
 * `max-retry-credentials` (behaviour.md §2.2, §3.3): at most N credentials are tried per round; credentials skipped
 * because they cool do not count; each `request-retry` round gets N again.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chatCompletion,
  type FakeHandler,
  type RecordedRequest,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function keyOf(req: RecordedRequest): string {
  return (req.headers.get("authorization") ?? "").replace("Bearer ", "");
}

const boom = { kind: "json", status: 500, body: { error: { message: "boom" } } } as const;

async function run(
  handler: FakeHandler,
  extra: string,
  body: (chat: () => Promise<number>, keys: () => string[]) => Promise<void>,
) {
  const up = await startFakeUpstream(handler);
  const sy = await startTestSwitchyard(`
routing: {strategy: fill-first}
${extra}
openai-compatibility:
  - name: fake
    base-url: "${up.url}"
    api-key-entries: [{api-key: "key-A"}, {api-key: "key-B"}, {api-key: "key-C"}]
    models: [{name: up, alias: m}]
`);
  try {
    await body(async () => {
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      await res.body?.cancel();
      return res.status;
    }, () => up.requests.map(keyOf));
  } finally {
    await sy.stop();
    await up.close();
  }
}

describe("max-retry-credentials", () => {
  test("0 (default) tries every credential", async () => {
    await run(() => boom, "", async (chat, keys) => {
      assert.equal(await chat(), 500);
      assert.deepEqual(keys(), ["key-A", "key-B", "key-C"]);
    });
  });

  test("2: only two credentials are tried, and the last error is returned", async () => {
    await run(() => boom, "max-retry-credentials: 2", async (chat, keys) => {
      assert.equal(await chat(), 500);
      assert.deepEqual(keys(), ["key-A", "key-B"]);
    });
  });

  test("applies per round: each request-retry round tries two again", async () => {
    await run(
      () => boom,
      "max-retry-credentials: 2\nrequest-retry: 1\nmax-retry-interval: 5\ntransient-error-cooldown-seconds: -1",
      async (chat, keys) => {
        assert.equal(await chat(), 500);
        assert.deepEqual(keys(), ["key-A", "key-B", "key-A", "key-B"]);
      },
    );
  });

  test("cooling credentials skipped do not count against the limit", async () => {
    await run(
      (req) => (keyOf(req) === "key-A" ? boom : { kind: "json", body: chatCompletion(keyOf(req)) }),
      "max-retry-credentials: 1",
      async (chat, keys) => {
        assert.equal(await chat(), 500, "A failed and the limit stopped the round before B");
        assert.deepEqual(keys(), ["key-A"]);
        assert.equal(await chat(), 200, "A cools and is skipped: B is the one credential tried");
        assert.deepEqual(keys(), ["key-A", "key-B"]);
      },
    );
  });
});
