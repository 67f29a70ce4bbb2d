/**
 * The translation matrix, end to end: every official client SDK (openai Chat Completions and Responses,
 * @anthropic-ai/sdk, @google/genai) pointed at Switchyard, routed to an upstream of every OTHER format (an
 * OpenAI-compatible chat server, the Claude API, the Gemini API, the Codex Responses backend — realistic loopback
 * fakes, test/helpers/fake-providers.ts), streaming and not. For each (client × upstream × stream) cell:
 *
 * - text + usage: the upstream's text arrives intact (multi-byte included) and its token counts arrive mapped as
 *   behaviour.md §4.3 says (worked out from the IR: input = every prompt token, output = every generated token);
 * - tool round trip: the upstream's tool call reaches the client as that client's tool call; the client's second
 *   request, carrying the tool result as the SDK builds it, reaches the upstream in the upstream's own shape
 *   (role:tool / tool_result / functionResponse / function_call_output) with the matching call id and name;
 * - thinking: the thinking text reaches the client (reasoning_content, thinking block, thought parts, reasoning
 *   summary) with the signature where the client format has a place for one; replaying the turn never sends a
 *   signature the upstream did not issue, and Gemini gets `skip_thought_signature_validator` on calls it did not sign;
 * - images: a user image reaches the upstream as its own image part with the base64 unchanged.
 *
 * The fakes validate every request as the real APIs do (400 otherwise), so each cell also proves the upstream got a
 * valid request in its format.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  greeting,
  imageAnswer,
  SKIP_SIGNATURE,
  THINKING_TEXT,
  TOOL_OUTPUT,
  toolAnswer,
  UPSTREAM_USAGE,
  type UpstreamFormat,
  WEATHER_ARGS,
  WEATHER_TOOL,
} from "../helpers/fake-providers.ts";
import {
  chatDriver,
  claudeDriver,
  type ClientDriver,
  type ClientFormat,
  geminiDriver,
  responsesDriver,
  type Turn,
} from "./translation-clients.ts";
import { SAME_FORMAT, startRig, type TranslationRig, UPSTREAM_MODEL, UPSTREAMS, via } from "./translation-setup.ts";

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const CLIENTS: readonly ClientFormat[] = ["openai-chat", "openai-responses", "claude", "gemini"];

// ---------------------------------------------------------------------------------------------------------------
// Expectations

type Json = Record<string, unknown>;

function at(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.split(".")) v = v && typeof v === "object" ? (v as Json)[k] : undefined;
  return v;
}

/**
 * behaviour.md §4.3 in the client's terms, from the upstream's counts in IR form. `null` means "absent or 0". Notes:
 * Claude's input_tokens exclude cache reads and writes (vector 21); OpenAI's prompt/Responses input include them
 * (vector 20); Gemini's candidatesTokenCount excludes thoughts. Chat completion_tokens count reasoning tokens as
 * OpenAI itself does (so prompt + completion = total = Gemini's totalTokenCount).
 */
function expectedUsage(client: ClientFormat, upstream: UpstreamFormat): Record<string, number | null> {
  const u = UPSTREAM_USAGE[upstream];
  const orNull = (n: number) => (n === 0 ? null : n);
  switch (client) {
    case "openai-chat":
      return {
        prompt_tokens: u.input,
        completion_tokens: u.output,
        total_tokens: u.input + u.output,
        "prompt_tokens_details.cached_tokens": orNull(u.cacheRead),
        "completion_tokens_details.reasoning_tokens": orNull(u.reasoning),
      };
    case "openai-responses":
      return {
        input_tokens: u.input,
        output_tokens: u.output,
        total_tokens: u.input + u.output,
        "input_tokens_details.cached_tokens": orNull(u.cacheRead),
        "output_tokens_details.reasoning_tokens": orNull(u.reasoning),
      };
    case "claude":
      return {
        input_tokens: u.input - u.cacheRead - u.cacheCreation,
        output_tokens: u.output,
        cache_read_input_tokens: orNull(u.cacheRead),
        cache_creation_input_tokens: orNull(u.cacheCreation),
      };
    case "gemini":
      return {
        promptTokenCount: u.input,
        candidatesTokenCount: u.output - u.reasoning,
        thoughtsTokenCount: orNull(u.reasoning),
        totalTokenCount: u.input + u.output,
        cachedContentTokenCount: orNull(u.cacheRead),
      };
  }
}

function assertUsage(turn: Turn, client: ClientFormat, upstream: UpstreamFormat): void {
  for (const [path, want] of Object.entries(expectedUsage(client, upstream))) {
    const got = at(turn.usage, path);
    if (want === null) assert.ok(got === undefined || got === null || got === 0, `usage.${path}: want absent/0, got ${got}`);
    else assert.equal(got, want, `usage.${path} (${JSON.stringify(turn.usage)})`);
  }
}

const TEXT_STOP: Readonly<Record<ClientFormat, string>> = {
  "openai-chat": "stop",
  "openai-responses": "completed",
  claude: "end_turn",
  gemini: "STOP",
};
const TOOL_STOP: Readonly<Record<ClientFormat, string>> = {
  "openai-chat": "tool_calls",
  "openai-responses": "completed",
  claude: "tool_use",
  gemini: "STOP",
};

/** The ids each fake gives its tool calls (Gemini gives none: Switchyard makes them up). */
const ISSUED_CALL_ID: Readonly<Record<UpstreamFormat, RegExp>> = {
  openai: /^call_oa\d+$/,
  claude: /^toolu_fake\d+$/,
  gemini: /^get_weather-\S+$/,
  codex: /^call_cx\d+$/,
};

/** Client formats with a place for thinking signatures (Gemini clients get thoughts unsigned: see stream-renderer.ts). */
const CARRIES_SIGNATURE: ReadonlySet<ClientFormat> = new Set(["claude", "openai-responses"]);

/** The system prompt as the upstream received it. */
function upstreamSystem(format: UpstreamFormat, body: Json): string {
  switch (format) {
    case "openai": {
      const m = (body.messages as Json[])[0]!;
      return m.role === "system" ? String(m.content) : "";
    }
    case "claude":
      return typeof body.system === "string" ? body.system : (body.system as Json[] ?? []).map((b) => String(b.text)).join("");
    case "gemini":
      return ((body.systemInstruction as Json | undefined)?.parts as Json[] ?? []).map((p) => String(p.text)).join("");
    case "codex": {
      if (typeof body.instructions === "string" && body.instructions !== "") return body.instructions;
      const dev = (body.input as Json[]).find((i) => i.role === "developer" || i.role === "system");
      return ((dev?.content as Json[]) ?? []).map((c) => String(c.text)).join("");
    }
  }
}

/** Every tool call of the last assistant turn, as the upstream sees it in its own history. */
function historyCalls(format: UpstreamFormat, body: Json): { id: string; name: string; args: Json }[] {
  switch (format) {
    case "openai": {
      const m = (body.messages as Json[]).findLast((x) => Array.isArray(x.tool_calls))!;
      return (m.tool_calls as Json[]).map((c) => {
        const fn = c.function as Json;
        return { id: String(c.id), name: String(fn.name), args: JSON.parse(String(fn.arguments)) };
      });
    }
    case "claude": {
      const m = (body.messages as Json[]).findLast((x) => x.role === "assistant")!;
      return (m.content as Json[]).filter((b) => b.type === "tool_use").map((b) => ({ id: String(b.id), name: String(b.name), args: b.input as Json }));
    }
    case "codex":
      return (body.input as Json[]).filter((i) => i.type === "function_call")
        .map((i) => ({ id: String(i.call_id), name: String(i.name), args: JSON.parse(String(i.arguments)) }));
    case "gemini": {
      const c = (body.contents as Json[]).findLast((x) => x.role === "model")!;
      return (c.parts as Json[]).filter((p) => p.functionCall).map((p) => {
        const fc = p.functionCall as Json;
        return { id: String(fc.id ?? ""), name: String(fc.name), args: fc.args as Json };
      });
    }
  }
}

/** The tool call as the upstream sees it in its own history (round 2). */
function historyCall(format: UpstreamFormat, body: Json): { id: string; name: string; args: unknown; signature?: string } {
  switch (format) {
    case "openai": {
      const m = (body.messages as Json[]).find((x) => Array.isArray(x.tool_calls))!;
      const c = (m.tool_calls as Json[])[0]!;
      const fn = c.function as Json;
      return { id: String(c.id), name: String(fn.name), args: JSON.parse(String(fn.arguments)) };
    }
    case "claude": {
      const b = (body.messages as Json[]).flatMap((m) => (Array.isArray(m.content) ? m.content as Json[] : []))
        .find((x) => x.type === "tool_use")!;
      return { id: String(b.id), name: String(b.name), args: b.input };
    }
    case "codex": {
      const i = (body.input as Json[]).find((x) => x.type === "function_call")!;
      return { id: String(i.call_id), name: String(i.name), args: JSON.parse(String(i.arguments)) };
    }
    case "gemini": {
      const p = (body.contents as Json[]).filter((c) => c.role === "model").flatMap((c) => c.parts as Json[])
        .find((x) => x.functionCall)!;
      const fc = p.functionCall as Json;
      return { id: String(fc.id ?? ""), name: String(fc.name), args: fc.args, signature: p.thoughtSignature as string };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe("translation matrix: official SDKs × foreign upstreams × stream", () => {
  let rig: TranslationRig;
  const drivers = {} as Record<ClientFormat, ClientDriver>;

  before(async () => {
    rig = await startRig();
    drivers["openai-chat"] = chatDriver(rig.sy.url);
    drivers["openai-responses"] = responsesDriver(rig.sy.url);
    drivers.claude = claudeDriver(rig.sy.url);
    drivers.gemini = geminiDriver(rig.sy.url);
  });
  after(async () => {
    await rig.stop();
  });

  for (const client of CLIENTS) {
    for (const upstream of UPSTREAMS) {
      if (SAME_FORMAT[client] === upstream) continue;
      for (const stream of [false, true]) {
        const cell = `${client} → ${upstream} upstream, ${stream ? "stream" : "non-stream"}`;
        describe(cell, () => {
          test("text and usage", async () => {
            const system = "Réponds en français, brièvement. 🇫🇷";
            const turn = await drivers[client].send(via(upstream), stream, { text: "Salut ! Ça va ?", system });
            assert.equal(turn.text, greeting(upstream));
            assert.equal(turn.stop, TEXT_STOP[client]);
            assert.equal(turn.model, via(upstream), "the answer names the model the client asked for");
            assert.deepEqual(turn.toolCalls, []);
            assertUsage(turn, client, upstream);
            const fake = rig.up[upstream];
            const req = fake.last();
            assert.equal(fake.ask(req).lastUserText, "Salut ! Ça va ?");
            assert.equal(upstreamSystem(upstream, req.json!), system, "the system prompt in the upstream's own place");
            assert.equal(fake.ask(req).stream, stream || upstream === "codex", "stream asked upstream as the client asked");
            if (upstream === "gemini") assert.match(req.path, new RegExp(`/models/${UPSTREAM_MODEL.gemini}:`));
            else assert.equal(req.json?.model, UPSTREAM_MODEL[upstream]);
          });

          test("tool call with a tool-result round trip", async () => {
            const fake = rig.up[upstream];
            const d = drivers[client];
            const first = await d.send(via(upstream), stream, { text: "Weather in Paris?", tools: true });
            const sent1 = fake.last();
            assert.deepEqual(fake.ask(sent1).tools, [WEATHER_TOOL.name], "the tool reaches the upstream declared in its format");
            assert.equal(first.toolCalls.length, 1, `one tool call (got ${JSON.stringify(first.toolCalls)})`);
            const call = first.toolCalls[0]!;
            assert.equal(call.name, WEATHER_TOOL.name);
            assert.deepEqual(call.args, WEATHER_ARGS);
            assert.match(call.id, ISSUED_CALL_ID[upstream], "the upstream's call id reaches the client");
            assert.equal(first.stop, TOOL_STOP[client]);

            const second = await d.send(via(upstream), stream, {
              text: "Weather in Paris?",
              tools: true,
              after: { turn: first, toolOutput: TOOL_OUTPUT },
            });
            assert.equal(second.text, toolAnswer(TOOL_OUTPUT));
            assert.equal(second.stop, TEXT_STOP[client]);
            const sent2 = fake.last();
            assert.notEqual(sent2, sent1);
            assert.deepEqual(fake.problems(sent2), []);
            const result = fake.ask(sent2).toolResult;
            assert.ok(result, "the tool result is the upstream's last turn, in its own shape");
            assert.equal(result.output, TOOL_OUTPUT);
            assert.equal(result.name, WEATHER_TOOL.name);
            const replayed = historyCall(upstream, sent2.json!);
            assert.equal(replayed.name, WEATHER_TOOL.name);
            assert.deepEqual(replayed.args, WEATHER_ARGS);
            if (upstream !== "gemini") {
              // Gemini pairs by name and position; the others by id, which must be the one the upstream issued.
              assert.equal(result.callId, call.id);
              assert.equal(replayed.id, call.id);
            } else {
              assert.ok(replayed.signature, "Gemini 3 needs a signature on the replayed call");
            }
          });

          test("two parallel tool calls, each result paired with its own call", async () => {
            const fake = rig.up[upstream];
            const d = drivers[client];
            const text = "Weather in Paris and Tokyo? [[two calls]]";
            const first = await d.send(via(upstream), stream, { text, tools: true });
            assert.deepEqual(first.toolCalls.map((c) => c.args), [WEATHER_ARGS, { ...WEATHER_ARGS, city: "Tokyo" }]);
            assert.equal(new Set(first.toolCalls.map((c) => c.id)).size, 2, "distinct call ids");
            const out = (c: { args: unknown }) => `${(c.args as { city: string }).city}: ${TOOL_OUTPUT}`;
            const second = await d.send(via(upstream), stream, { text, tools: true, after: { turn: first, toolOutput: out } });
            assert.equal(second.text, toolAnswer(`Paris: ${TOOL_OUTPUT} | Tokyo: ${TOOL_OUTPUT}`));
            const sent = fake.last();
            const calls = historyCalls(upstream, sent.json!);
            const results = fake.ask(sent).toolResults;
            assert.equal(calls.length, 2);
            assert.equal(results.length, 2);
            for (const [i, r] of results.entries()) {
              // Gemini pairs by position; the others by id.
              const call = upstream === "gemini" ? calls[i]! : calls.find((c) => c.id === r.callId)!;
              assert.ok(call, `result ${r.callId} answers a call in the history`);
              assert.equal(r.output, out(call), "each result answers its own call");
            }
          });

          test("thinking, signatures and a replayed thinking turn", async () => {
            const fake = rig.up[upstream];
            const d = drivers[client];
            const turn = await d.send(via(upstream), stream, { text: "Bonjour", thinking: true });
            assert.equal(turn.thinking, THINKING_TEXT);
            assert.equal(turn.text, greeting(upstream));
            const issued = [...fake.issued];
            if (CARRIES_SIGNATURE.has(client) && upstream !== "openai") {
              assert.equal(turn.signatures.length, 1, `one signature (got ${JSON.stringify(turn.signatures)})`);
              assert.ok(issued.includes(turn.signatures[0]!), "the upstream's own signature reaches the client");
            } else {
              assert.deepEqual(turn.signatures, []);
            }

            // A tool turn with thinking, replayed: only signatures this upstream issued may come back to it.
            const first = await d.send(via(upstream), stream, { text: "Weather?", tools: true, thinking: true });
            assert.equal(first.toolCalls.length, 1);
            const second = await d.send(via(upstream), stream, {
              text: "Weather?",
              tools: true,
              thinking: true,
              after: { turn: first, toolOutput: TOOL_OUTPUT },
            });
            assert.equal(second.text, toolAnswer(TOOL_OUTPUT));
            const sent = fake.last();
            assert.deepEqual(fake.problems(sent), [], "no foreign signature, valid history");
            if (upstream === "gemini") {
              assert.equal(historyCall("gemini", sent.json!).signature, SKIP_SIGNATURE, "the call's signature did not survive the client format");
            }
            if (upstream === "codex" && CARRIES_SIGNATURE.has(client)) {
              // Codex's encrypted reasoning travels in the client's signature field and is replayed to Codex.
              const reasoning = (sent.json!.input as Json[]).filter((i) => i.type === "reasoning");
              assert.deepEqual(reasoning.map((r) => r.encrypted_content), first.signatures);
            }
          });

          if (client !== "openai-chat") {
            // Chat tool messages carry text only; the other formats let a tool return an image (a screenshot).
            test("a tool result carrying an image reaches the upstream as a valid request, image intact", async () => {
              const fake = rig.up[upstream];
              const d = drivers[client];
              const first = await d.send(via(upstream), stream, { text: "Screenshot the weather map", tools: true });
              assert.equal(first.toolCalls.length, 1);
              const second = await d.send(via(upstream), stream, {
                text: "Screenshot the weather map",
                tools: true,
                after: { turn: first, toolOutput: TOOL_OUTPUT, toolImage: { mediaType: "image/png", data: PNG } },
              });
              assert.equal(second.text, toolAnswer(TOOL_OUTPUT));
              const sent = fake.last();
              assert.deepEqual(fake.problems(sent), []);
              assert.deepEqual(fake.ask(sent).toolImages, [{ mediaType: "image/png", data: PNG }]);
            });
          }

          test("a user image arrives as the upstream's image part, base64 intact", async () => {
            const turn = await drivers[client].send(via(upstream), stream, {
              text: "What is in this picture?",
              image: { mediaType: "image/png", data: PNG },
            });
            const fake = rig.up[upstream];
            assert.deepEqual(fake.ask(fake.last()).image, { mediaType: "image/png", data: PNG });
            assert.equal(turn.text, imageAnswer("image/png", PNG));
          });
        });
      }
    }
  }

  describe("foreign signatures in a client's history never reach another upstream", () => {
    const FOREIGN = "FOREIGNsig0123456789abcdefXYZ";
    /** A finished tool turn as each client would replay it, signed by some other vendor. */
    const foreignTurn: Record<"claude" | "openai-responses" | "gemini", Turn> = {
      claude: {
        text: "",
        thinking: "old thoughts",
        signatures: [FOREIGN],
        toolCalls: [{ id: "toolu_foreign1", name: WEATHER_TOOL.name, args: WEATHER_ARGS }],
        usage: {},
        stop: "tool_use",
        model: "",
        replay: [
          { type: "thinking", thinking: "old thoughts", signature: FOREIGN },
          { type: "tool_use", id: "toolu_foreign1", name: WEATHER_TOOL.name, input: WEATHER_ARGS },
        ],
      },
      "openai-responses": {
        text: "",
        thinking: "old thoughts",
        signatures: [FOREIGN],
        toolCalls: [{ id: "call_foreign1", name: WEATHER_TOOL.name, args: WEATHER_ARGS }],
        usage: {},
        stop: "completed",
        model: "",
        replay: [
          { type: "reasoning", id: "rs_foreign", summary: [{ type: "summary_text", text: "old thoughts" }], encrypted_content: FOREIGN },
          { type: "function_call", id: "fc_foreign", call_id: "call_foreign1", name: WEATHER_TOOL.name, arguments: JSON.stringify(WEATHER_ARGS), status: "completed" },
        ],
      },
      gemini: {
        text: "",
        thinking: "old thoughts",
        signatures: [FOREIGN],
        toolCalls: [{ id: "", name: WEATHER_TOOL.name, args: WEATHER_ARGS }],
        usage: {},
        stop: "STOP",
        model: "",
        replay: [
          { text: "old thoughts", thought: true, thoughtSignature: FOREIGN },
          { functionCall: { name: WEATHER_TOOL.name, args: WEATHER_ARGS }, thoughtSignature: FOREIGN },
        ],
      },
    };
    for (const client of ["claude", "openai-responses", "gemini"] as const) {
      for (const upstream of UPSTREAMS) {
        if (SAME_FORMAT[client] === upstream) continue;
        test(`${client} → ${upstream}`, async () => {
          const turn = await drivers[client].send(via(upstream), false, {
            text: "Weather?",
            tools: true,
            thinking: true,
            after: { turn: foreignTurn[client], toolOutput: TOOL_OUTPUT },
          });
          assert.equal(turn.text, toolAnswer(TOOL_OUTPUT));
          const sent = rig.up[upstream].last();
          assert.ok(!sent.text.includes(FOREIGN), `the foreign signature reached ${upstream}: ${sent.text}`);
          if (upstream === "gemini") assert.equal(historyCall("gemini", sent.json!).signature, SKIP_SIGNATURE);
        });
      }
    }
  });
});
