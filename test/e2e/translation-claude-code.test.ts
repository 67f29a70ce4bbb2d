/**
 * Claude Code, as it really calls: `POST /v1/messages?beta=true`, streaming, its headers (claude-cli User-Agent,
 * betas, x-stainless-*), a billing-header system block plus large system blocks with `cache_control`, ~20 tools with
 * draft-07 schemas (MCP names included), `thinking: {type: enabled, budget_tokens}`, `context_management`, and
 * `metadata.user_id` as a JSON string — routed to a Gemini upstream, an OpenAI-compatible upstream and (for good
 * measure) the Codex backend.
 *
 * The upstream must get a request valid in its own format (the fakes refuse anything the real API would), without
 * Claude-only fields or client headers leaking; the answer must come back as a Claude stream that passes a strict
 * check: message_start first, content blocks with dense indexes 0..n-1 opened one at a time, every delta typed for
 * its block and addressed to the open block, tool input that parses as JSON, message_delta with a stop reason, and
 * message_stop last with nothing after it. Two turns: thinking + tool call, then tool result → thinking + text.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { THINKING_TEXT, TOOL_OUTPUT, toolAnswer, WEATHER_ARGS, WEATHER_TOOL } from "../helpers/fake-providers.ts";
import { CLIENT_KEY } from "./translation-clients.ts";
import { startRig, type TranslationRig, UPSTREAM_MODEL, via } from "./translation-setup.ts";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// The request

const HEADERS: Record<string, string> = {
  accept: "application/json",
  "anthropic-beta":
    "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14",
  "anthropic-dangerous-direct-browser-access": "true",
  "anthropic-version": "2023-06-01",
  "content-type": "application/json",
  "user-agent": "claude-cli/2.0.31 (external, cli)",
  "x-api-key": CLIENT_KEY,
  "x-app": "cli",
  "x-stainless-arch": "x64",
  "x-stainless-helper-method": "stream",
  "x-stainless-lang": "js",
  "x-stainless-os": "Linux",
  "x-stainless-package-version": "0.60.0",
  "x-stainless-retry-count": "0",
  "x-stainless-runtime": "node",
  "x-stainless-runtime-version": "v22.17.0",
  "x-stainless-timeout": "600",
};

const BILLING = "x-anthropic-billing-header: cc_version=2.0.31.abc; cc_entrypoint=cli; cch=00000;";
const IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";
/** Claude Code's instructions run to tens of kilobytes. */
const INSTRUCTIONS = Array.from({ length: 400 }, (_, i) =>
  `Rule ${i}: prefer the dedicated tools (Read, Edit, Grep) over Bash; keep answers short — «ü» ✓.`
).join("\n");

const obj = (properties: Json, required: string[] = []): Json => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
  $schema: "http://json-schema.org/draft-07/schema#",
});
const s = (description: string): Json => ({ type: "string", description });

/** Twenty tools shaped like Claude Code's (the weather tool is the one the fakes call). */
const TOOLS: Json[] = [
  { name: "Task", description: "Launch a sub-agent", input_schema: obj({ description: s("3-5 words"), prompt: s("task"), subagent_type: s("agent") }, ["description", "prompt", "subagent_type"]) },
  { name: "Bash", description: "Run a shell command", input_schema: obj({ command: s("command"), timeout: { type: "number", maximum: 600000 }, run_in_background: { type: "boolean" } }, ["command"]) },
  { name: "Glob", description: "Match files", input_schema: obj({ pattern: s("glob"), path: s("dir") }, ["pattern"]) },
  { name: "Grep", description: "Search file contents", input_schema: obj({ pattern: s("regex"), output_mode: { type: "string", enum: ["content", "files_with_matches", "count"] }, "-i": { type: "boolean" }, head_limit: { type: "number" } }, ["pattern"]) },
  { name: "ExitPlanMode", description: "Leave plan mode", input_schema: obj({ plan: s("plan") }, ["plan"]) },
  { name: "Read", description: "Read a file", input_schema: obj({ file_path: s("absolute path"), offset: { type: "number" }, limit: { type: "number" } }, ["file_path"]) },
  { name: "Edit", description: "Edit a file", input_schema: obj({ file_path: s("path"), old_string: s("old"), new_string: s("new"), replace_all: { type: "boolean", default: false } }, ["file_path", "old_string", "new_string"]) },
  {
    name: "MultiEdit",
    description: "Several edits to one file",
    input_schema: obj({
      file_path: s("path"),
      edits: { type: "array", minItems: 1, items: { type: "object", properties: { old_string: s("old"), new_string: s("new") }, required: ["old_string", "new_string"], additionalProperties: false } },
    }, ["file_path", "edits"]),
  },
  { name: "Write", description: "Write a file", input_schema: obj({ file_path: s("path"), content: s("content") }, ["file_path", "content"]) },
  { name: "NotebookEdit", description: "Edit a notebook cell", input_schema: obj({ notebook_path: s("path"), cell_id: s("id"), new_source: s("source"), cell_type: { type: "string", enum: ["code", "markdown"] }, edit_mode: { type: "string", enum: ["replace", "insert", "delete"] } }, ["notebook_path", "new_source"]) },
  { name: "WebFetch", description: "Fetch a URL", input_schema: obj({ url: { type: "string", format: "uri" }, prompt: s("prompt") }, ["url", "prompt"]) },
  {
    name: "TodoWrite",
    description: "Update the todo list",
    input_schema: obj({
      todos: {
        type: "array",
        items: {
          type: "object",
          properties: { content: { type: "string", minLength: 1 }, status: { type: "string", enum: ["pending", "in_progress", "completed"] }, activeForm: { type: "string", minLength: 1 } },
          required: ["content", "status", "activeForm"],
          additionalProperties: false,
        },
      },
    }, ["todos"]),
  },
  { name: "WebSearch", description: "Search the web", input_schema: obj({ query: { type: "string", minLength: 2 }, allowed_domains: { type: "array", items: { type: "string" } } }, ["query"]) },
  { name: "BashOutput", description: "Output of a background shell", input_schema: obj({ bash_id: s("id"), filter: s("regex") }, ["bash_id"]) },
  { name: "KillShell", description: "Kill a background shell", input_schema: obj({ shell_id: s("id") }, ["shell_id"]) },
  { name: "SlashCommand", description: "Run a slash command", input_schema: obj({ command: s("command") }, ["command"]) },
  { name: "mcp__ide__getDiagnostics", description: "IDE diagnostics", input_schema: obj({ uri: s("file uri") }) },
  { name: "mcp__ide__executeCode", description: "Run code in the IDE kernel", input_schema: obj({ code: s("code") }, ["code"]) },
  { name: "mcp__context7__resolve-library-id", description: "Resolve a library id", input_schema: obj({ libraryName: s("name") }, ["libraryName"]) },
  { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, input_schema: WEATHER_TOOL.parameters },
];

const USER_ID = JSON.stringify({
  device_id: "3f1c0b5e9a7d4e2f8c6b1a0d9e8f7c6b5a4d3e2f1c0b9a8d7e6f5c4b3a2d1e0f",
  account_uuid: "",
  session_id: "6b0f8c52-5d1e-4a7b-9c3d-2e1f0a9b8c7d",
});

function claudeCodeBody(model: string, after?: { content: Json[]; toolUseId: string }): Json {
  const messages: Json[] = [{
    role: "user",
    content: [
      { type: "text", text: "<system-reminder>\nThe user opened src/app.ts in the IDE.\n</system-reminder>" },
      { type: "text", text: "What's the weather in Paris? Use the tool.", cache_control: { type: "ephemeral" } },
    ],
  }];
  if (after) {
    messages.push({ role: "assistant", content: after.content });
    messages.push({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: after.toolUseId, content: TOOL_OUTPUT, cache_control: { type: "ephemeral" } }],
    });
  }
  return {
    model,
    max_tokens: 32000,
    stream: true,
    system: [
      { type: "text", text: BILLING },
      { type: "text", text: IDENTITY, cache_control: { type: "ephemeral" } },
      { type: "text", text: INSTRUCTIONS, cache_control: { type: "ephemeral" } },
    ],
    messages,
    tools: TOOLS,
    thinking: { type: "enabled", budget_tokens: 31999 },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    metadata: { user_id: USER_ID },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The strict Claude stream check

interface SseEvent {
  event: string;
  data: Json;
}

function parseSse(text: string): SseEvent[] {
  assert.ok(text.endsWith("\n\n"), "the stream ends on a frame boundary");
  const out: SseEvent[] = [];
  for (const frame of text.split("\n\n")) {
    if (frame === "") continue;
    let event = "";
    let data = "";
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue;
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
      else assert.fail(`unexpected SSE line ${JSON.stringify(line)}`);
    }
    assert.ok(event !== "", `frame without event: ${frame}`);
    const parsed = JSON.parse(data) as Json;
    assert.equal(parsed.type, event, "event name = data.type");
    out.push({ event, data: parsed });
  }
  return out;
}

interface CheckedMessage {
  blocks: { type: string; text: string; signature: string; id: string; name: string; input: unknown }[];
  stopReason: string;
  usage: Json;
  message: Json;
}

const DELTA_FOR: Record<string, readonly string[]> = {
  text: ["text_delta"],
  thinking: ["thinking_delta", "signature_delta"],
  tool_use: ["input_json_delta"],
};

/** Validates a Claude Messages stream strictly and returns what it says. */
function checkClaudeStream(events: readonly SseEvent[]): CheckedMessage {
  assert.ok(events.length >= 3);
  assert.equal(events[0]!.event, "message_start", "message_start comes first");
  const message = events[0]!.data.message as Json;
  assert.equal(message.type, "message");
  assert.equal(message.role, "assistant");
  assert.deepEqual(message.content, []);
  assert.equal(message.stop_reason, null);
  assert.ok(typeof message.id === "string" && message.id !== "");
  assert.equal(events.at(-1)!.event, "message_stop", "message_stop comes last");
  const blocks: CheckedMessage["blocks"] = [];
  let open = -1;
  let deltaSeen: SseEvent | null = null;
  const partial: string[] = [];
  for (const [i, { event, data }] of events.entries()) {
    if (i === 0 || i === events.length - 1) continue;
    assert.equal(deltaSeen, null, `nothing may follow message_delta but message_stop (got ${event})`);
    switch (event) {
      case "ping":
        break;
      case "content_block_start": {
        assert.equal(open, -1, `block ${data.index} opened while block ${open} is open`);
        assert.equal(data.index, blocks.length, "indexes are dense, in order");
        const cb = data.content_block as Json;
        assert.ok(cb.type === "text" || cb.type === "thinking" || cb.type === "tool_use", `block type ${cb.type}`);
        if (cb.type === "text") assert.equal(cb.text, "");
        if (cb.type === "thinking") assert.equal(cb.thinking, "");
        if (cb.type === "tool_use") {
          assert.match(String(cb.id), /^[a-zA-Z0-9_-]+$/);
          assert.ok(String(cb.name).length > 0);
          assert.deepEqual(cb.input, {});
        }
        blocks.push({ type: String(cb.type), text: "", signature: String(cb.signature ?? ""), id: String(cb.id ?? ""), name: String(cb.name ?? ""), input: undefined });
        partial.push("");
        open = data.index as number;
        break;
      }
      case "content_block_delta": {
        assert.equal(data.index, open, "a delta addresses the open block");
        const b = blocks[open]!;
        const d = data.delta as Json;
        assert.ok(DELTA_FOR[b.type]!.includes(String(d.type)), `${d.type} in a ${b.type} block`);
        if (d.type === "text_delta") b.text += d.text as string;
        else if (d.type === "thinking_delta") b.text += d.thinking as string;
        else if (d.type === "signature_delta") b.signature += d.signature as string;
        else partial[open] += d.partial_json as string;
        break;
      }
      case "content_block_stop":
        assert.equal(data.index, open, "the open block stops");
        if (blocks[open]!.type === "tool_use") {
          const json = partial[open] === "" ? "{}" : partial[open]!;
          blocks[open]!.input = JSON.parse(json);
        }
        open = -1;
        break;
      case "message_delta": {
        assert.equal(open, -1, "every block stopped before message_delta");
        const d = data.delta as Json;
        assert.ok(["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn"].includes(String(d.stop_reason)));
        assert.ok(data.usage && typeof (data.usage as Json).output_tokens === "number");
        deltaSeen = { event, data };
        break;
      }
      default:
        assert.fail(`unexpected event ${event}`);
    }
  }
  assert.ok(deltaSeen, "message_delta before message_stop");
  const d = deltaSeen.data;
  return { blocks, stopReason: String((d.delta as Json).stop_reason), usage: d.usage as Json, message };
}

// ---------------------------------------------------------------------------------------------------------------

async function post(url: string, body: Json): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${url}/v1/messages?beta=true`, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("Claude Code style requests to foreign upstreams", () => {
  let rig: TranslationRig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.stop();
  });

  for (const upstream of ["gemini", "openai", "codex"] as const) {
    test(`→ ${upstream}: a valid upstream request, a well-formed Claude stream, two turns`, async () => {
      const fake = rig.up[upstream];
      const first = await post(rig.sy.url, claudeCodeBody(via(upstream)));
      assert.equal(first.status, 200, first.text);
      assert.match(first.headers.get("content-type") ?? "", /^text\/event-stream/);
      const one = checkClaudeStream(parseSse(first.text));

      const sent = fake.last();
      assert.deepEqual(fake.problems(sent), []);
      const body = sent.json!;
      for (const [name] of Object.entries(HEADERS)) {
        if (name.startsWith("anthropic-") || name.startsWith("x-stainless") || name === "x-app" || name === "x-api-key") {
          assert.equal(sent.headers.get(name), null, `client header ${name} does not reach the ${upstream} upstream`);
        }
      }
      assert.ok(!sent.text.includes(CLIENT_KEY), "the client's key is not sent upstream");
      assert.ok(!sent.text.includes("x-anthropic-billing-header"), "the billing block stays out of foreign prompts");
      assert.ok(!sent.text.includes("cache_control") && !sent.text.includes("context_management"), "Claude-only fields stay home");
      if (upstream === "gemini") {
        assert.equal(sent.headers.get("x-goog-api-key"), "AIza-upstream");
        assert.equal(sent.path, `/v1beta/models/${UPSTREAM_MODEL.gemini}:streamGenerateContent`);
        const si = body.systemInstruction as { parts: { text: string }[] };
        const system = si.parts.map((p) => p.text).join("\n");
        assert.ok(system.includes(IDENTITY) && system.includes(INSTRUCTIONS), "system blocks become systemInstruction");
        const decls = (body.tools as Json[]).flatMap((t) => (t.functionDeclarations ?? []) as Json[]);
        assert.deepEqual(decls.map((d) => d.name), TOOLS.map((t) => t.name), "all tools, names kept");
        for (const d of decls) {
          assert.equal(d.parameters, undefined);
          assert.equal((d.parametersJsonSchema as Json).type, "object");
        }
        const tc = (body.generationConfig as Json).thinkingConfig as Json;
        assert.deepEqual(tc, { thinkingBudget: 31999, includeThoughts: true });
      } else if (upstream === "codex") {
        assert.equal(sent.headers.get("authorization"), "Bearer sk-codex-upstream");
        const text = JSON.stringify(body.input) + String(body.instructions);
        assert.ok(text.includes(IDENTITY) && text.includes(INSTRUCTIONS.slice(0, 200)), "system blocks reach the backend");
        assert.deepEqual((body.tools as Json[]).map((t) => t.name), TOOLS.map((t) => t.name));
        assert.deepEqual(body.reasoning, { effort: "xhigh", summary: "auto" });
        assert.deepEqual(body.include, ["reasoning.encrypted_content"]);
      } else {
        assert.equal(sent.headers.get("authorization"), "Bearer sk-oa-upstream");
        assert.equal(sent.path, "/v1/chat/completions");
        const messages = body.messages as Json[];
        assert.equal(messages[0]!.role, "system");
        assert.ok(String(messages[0]!.content).includes(IDENTITY) && String(messages[0]!.content).includes(INSTRUCTIONS));
        assert.deepEqual((body.tools as Json[]).map((t) => (t.function as Json).name), TOOLS.map((t) => t.name));
        assert.equal(body.reasoning_effort, "xhigh", "budget 31999 → xhigh (behaviour.md §4.2)");
        assert.equal(body.user, USER_ID, "metadata.user_id travels as the OpenAI user, verbatim");
        assert.deepEqual(body.stream_options, { include_usage: true });
        const allowed = new Set(["model", "messages", "tools", "tool_choice", "max_tokens", "reasoning_effort", "user", "stream", "stream_options"]);
        for (const k of Object.keys(body)) assert.ok(allowed.has(k), `unexpected field ${k} sent to an OpenAI upstream`);
      }

      // Turn 1: thinking, then the tool call.
      assert.equal(one.stopReason, "tool_use");
      assert.deepEqual(one.blocks.map((b) => b.type), ["thinking", "tool_use"]);
      assert.equal(one.blocks[0]!.text, THINKING_TEXT);
      // Gemini signs the function call here, not the thoughts: a Claude tool_use block has no place for it.
      const call = one.blocks[1]!;
      assert.equal(call.name, WEATHER_TOOL.name);
      assert.deepEqual(call.input, WEATHER_ARGS);

      // Turn 2: Claude Code sends the assistant turn back as it received it, then the tool result.
      const assistant: Json[] = one.blocks.map((b) =>
        b.type === "thinking"
          ? { type: "thinking", thinking: b.text, signature: b.signature }
          : { type: "tool_use", id: b.id, name: b.name, input: b.input }
      );
      const second = await post(rig.sy.url, claudeCodeBody(via(upstream), { content: assistant, toolUseId: call.id }));
      assert.equal(second.status, 200, second.text);
      const two = checkClaudeStream(parseSse(second.text));
      assert.equal(two.stopReason, "end_turn");
      assert.deepEqual(two.blocks.map((b) => b.type), ["thinking", "text"]);
      assert.equal(two.blocks[1]!.text, toolAnswer(TOOL_OUTPUT));
      assert.equal(two.blocks[0]!.text, THINKING_TEXT);
      if (upstream === "gemini") assert.ok(two.blocks[0]!.signature !== "", "Gemini's thought signature rides the thinking block");
      const sent2 = fake.last();
      assert.deepEqual(fake.problems(sent2), []);
      const result = fake.ask(sent2).toolResult;
      assert.equal(result?.name, WEATHER_TOOL.name);
      assert.equal(result?.output, TOOL_OUTPUT);
      if (upstream === "openai") assert.equal(result?.callId, call.id);
      assert.ok(typeof two.usage.input_tokens === "number" && typeof two.usage.output_tokens === "number");
    });
  }
});
