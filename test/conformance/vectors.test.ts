/**
 * Runs every conformance vector (see README.md in this folder) against the format codecs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { FormatCodec, IrRequest, IrResponse, IrStreamEvent, RenderContext } from "../../core/formats/ir.ts";
import type { JsonObject, WireFormat } from "../../core/formats/wire-format.ts";
import { SseParser } from "../../core/stream/sse-parser.ts";
import { mulberry32, randomSplit } from "../helpers/prng.ts";

const HERE = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname);

interface Vector {
  name: string;
  kind: string;
  format?: WireFormat;
  from?: WireFormat;
  to?: WireFormat;
  input: unknown;
  expected: unknown;
  ctx?: Omit<RenderContext, "query"> & { query?: string };
  match?: "subset" | "exact";
}

function vectorFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...vectorFiles(p));
    else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}

const codecCache = new Map<WireFormat, Promise<FormatCodec>>();
/** Loads `core/formats/<format>/codec.ts`; the folder for openai-completions is openai-chat. */
function codec(format: WireFormat): Promise<FormatCodec> {
  let p = codecCache.get(format);
  if (!p) {
    const folder = format === "openai-completions" ? "openai-chat" : format;
    const file = resolve(HERE, "../../core/formats", folder, "codec.ts");
    p = import(pathToFileURL(file).href).then((m: Record<string, unknown>) => {
      const found = Object.values(m).find((v) =>
        typeof v === "object" && v !== null && (v as FormatCodec).id === format &&
        typeof (v as FormatCodec).parseRequest === "function"
      );
      if (!found) throw new Error(`${relative(HERE, file)} exports no FormatCodec with id "${format}"`);
      return found as FormatCodec;
    });
    codecCache.set(format, p);
  }
  return p;
}

function ctxOf(v: Vector, fallbackModel: string, stream: boolean): RenderContext {
  const c = v.ctx ?? ({} as NonNullable<Vector["ctx"]>);
  return {
    model: c.model ?? fallbackModel,
    stream: c.stream ?? stream,
    userAgent: c.userAgent,
    query: c.query !== undefined ? new URLSearchParams(c.query) : undefined,
  };
}

/** JSON round trip: drops `undefined` properties so results compare like the vector files. */
function plain<T>(v: T): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

function assertMatch(actual: unknown, expected: unknown, subset: boolean, path = "$"): void {
  if (!subset) {
    assert.deepEqual(plain(actual), expected, `mismatch at ${path}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertMatch(actual[i], e, true, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, e] of Object.entries(expected)) {
      assertMatch((actual as Record<string, unknown>)[k], e, true, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, `${path}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
}

const utf8 = new TextEncoder();

/** Parses an upstream SSE text into IR events, feeding the bytes in the given chunks. */
function streamToIr(c: FormatCodec, ctx: RenderContext, chunks: readonly Uint8Array[]): IrStreamEvent[] {
  const events: IrStreamEvent[] = [];
  const emit = (e: IrStreamEvent) => events.push(e);
  const parser = c.createStreamParser(ctx);
  const sse = new SseParser();
  const onEvent = (ev: { event?: string; data: string }) => parser.push(ev.event, ev.data, emit);
  for (const chunk of chunks) sse.push(chunk, onEvent);
  sse.end(onEvent);
  parser.end(emit);
  return events;
}

const SPLITS = 40;

async function run(v: Vector): Promise<void> {
  const subset = v.match === "subset";
  if (v.kind.startsWith("request") || v.kind.startsWith("response") || v.kind.startsWith("stream-")) {
    if (v.format) {
      const c = await codec(v.format);
      switch (v.kind) {
        case "request-parse":
          return assertMatch(c.parseRequest(v.input as JsonObject), v.expected, subset);
        case "request-render": {
          const ir = v.input as IrRequest;
          return assertMatch(c.renderRequest(ir, ctxOf(v, ir.model, ir.stream)), v.expected, subset);
        }
        case "response-parse":
          return assertMatch(c.parseResponse(v.input as JsonObject), v.expected, subset);
        case "response-render": {
          const ir = v.input as IrResponse;
          return assertMatch(c.renderResponse(ir, ctxOf(v, ir.model, false)), v.expected, subset);
        }
        case "stream-parse": {
          const bytes = utf8.encode(v.input as string);
          const ctx = ctxOf(v, "model", true);
          const whole = streamToIr(c, ctx, [bytes]);
          assertMatch(whole, v.expected, subset);
          const rand = mulberry32(0x5eed ^ v.name.length);
          for (let i = 0; i < SPLITS; i++) {
            assert.deepEqual(plain(streamToIr(c, ctx, randomSplit(bytes, rand))), plain(whole), `split ${i}`);
          }
          return;
        }
        case "stream-render": {
          const r = c.createStreamRenderer(ctxOf(v, "model", true));
          const text = (v.input as IrStreamEvent[]).map((e) => r.push(e)).join("");
          return assert.equal(text, v.expected);
        }
      }
    }
  }
  if (v.from && v.to) {
    const from = await codec(v.from);
    const to = await codec(v.to);
    switch (v.kind) {
      case "request": {
        const ir = from.parseRequest(v.input as JsonObject);
        return assertMatch(to.renderRequest(ir, ctxOf(v, ir.model, ir.stream)), v.expected, subset);
      }
      case "response": {
        const ir = from.parseResponse(v.input as JsonObject);
        return assertMatch(to.renderResponse(ir, ctxOf(v, ir.model, false)), v.expected, subset);
      }
      case "stream": {
        const ctx = ctxOf(v, "model", true);
        const bytes = utf8.encode(v.input as string);
        const render = (chunks: Uint8Array[]) => {
          const r = to.createStreamRenderer(ctx);
          return streamToIr(from, ctx, chunks).map((e) => r.push(e)).join("");
        };
        const whole = render([bytes]);
        if (typeof v.expected === "string") assert.equal(whole, v.expected);
        else assertMatch(parseFrames(whole), v.expected, subset);
        const rand = mulberry32(0xc0ffee ^ v.name.length);
        for (let i = 0; i < SPLITS; i++) assert.equal(render(randomSplit(bytes, rand)), whole, `split ${i}`);
        return;
      }
    }
  }
  throw new Error(`Vector "${v.name}" has an unknown kind "${v.kind}" or lacks format/from/to`);
}

/** Client SSE text → [{event?, data (parsed JSON or the raw string)}], for subset comparisons of rendered streams. */
function parseFrames(text: string): { event?: string; data: unknown }[] {
  const out: { event?: string; data: unknown }[] = [];
  const sse = new SseParser();
  sse.pushText(text, (ev) => {
    let data: unknown = ev.data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      // `[DONE]` and other non-JSON payloads compare as strings.
    }
    out.push(ev.event === undefined ? { data } : { event: ev.event, data });
  });
  sse.end(() => {});
  return out;
}

for (const file of vectorFiles(HERE)) {
  const vectors = JSON.parse(readFileSync(file, "utf8")) as Vector[];
  describe(`conformance ${relative(HERE, file)}`, () => {
    for (const v of vectors) test(v.name, () => run(v));
  });
}
