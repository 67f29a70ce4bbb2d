/**
 * The cross-format stream: upstream bytes → SSE events → the upstream codec's parser → IR events → the client codec's
 * renderer → client bytes. Each event is parsed once and rendered once; the whole chain runs inside one pull of the
 * client stream, so backpressure reaches the upstream socket and no intermediate stream adds promise hops.
 */
import {
  type FormatCodec,
  type IrStreamEvent,
  type RenderContext,
  type StreamParser,
  type StreamRenderer,
  usageFromIr,
} from "../formats/ir.ts";
import type { Usage } from "../formats/wire-format.ts";
import type { ByteSource } from "../http/upstream-fetch.ts";
import type { IrEventMapper } from "../plugin/types.ts";
import { SseParser, type SseEvent } from "./sse-parser.ts";

/** What the pipeline learns from the IR events as they pass. */
export interface TranslationObservation {
  usage: Usage | null;
  /** The upstream's terminal event was seen. */
  terminal: boolean;
  /** First in-band upstream error, if any. */
  error: { status: number; message: string } | null;
  /** Client-format text has been produced (headers may be committed). */
  produced: boolean;
}

const utf8 = new TextEncoder();

/** Drives one translated stream; `pull()` returns the next client bytes, or null at the end. */
export class TranslatedStream {
  readonly #body: ByteSource;
  readonly #sse = new SseParser();
  readonly #parser: StreamParser;
  readonly #renderer: StreamRenderer;
  /** Client text rendered since the last take; a handful of frames per upstream chunk. */
  #out = "";
  #ended = false;
  readonly obs: TranslationObservation = { usage: null, terminal: false, error: null, produced: false };
  readonly #onSse: (ev: SseEvent) => void;
  readonly #emit: (e: IrStreamEvent) => void;

  readonly #onUpstreamChunk: ((chunk: Uint8Array) => void) | null;
  readonly #mapper: IrEventMapper | null;

  constructor(
    body: ByteSource,
    upstream: FormatCodec,
    client: FormatCodec,
    ctx: RenderContext,
    onUpstreamChunk: ((chunk: Uint8Array) => void) | null = null,
    mapper: IrEventMapper | null = null,
  ) {
    this.#body = body;
    this.#onUpstreamChunk = onUpstreamChunk;
    this.#mapper = mapper;
    this.#parser = upstream.createStreamParser(ctx);
    this.#renderer = client.createStreamRenderer(ctx);
    // Bound once per stream, not per chunk.
    this.#emit = (e) => this.#onIr(e);
    this.#onSse = (ev) => this.#parser.push(ev.event, ev.data, this.#emit);
  }

  #onIr(event: IrStreamEvent): void {
    let e = event;
    // Fast path: no plugin maps events, so nothing is called here.
    if (this.#mapper !== null) {
      const mapped = this.#mapper(e);
      if (mapped === null) return;
      if (mapped !== undefined) e = mapped;
    }
    switch (e.type) {
      case "finish":
        if (e.usage) this.obs.usage = usageFromIr(e.usage);
        break;
      case "end":
        this.obs.terminal = true;
        break;
      case "error":
        this.obs.error ??= { status: e.status, message: e.message };
        break;
    }
    const text = this.#renderer.push(e);
    if (text !== "") {
      this.#out += text;
      this.obs.produced = true;
    }
  }

  #take(): Uint8Array | null {
    if (this.#out === "") return null;
    const bytes = utf8.encode(this.#out);
    this.#out = "";
    return bytes;
  }

  /**
   * Reads upstream chunks until some client text exists or the upstream ends. Returns null once everything is out.
   * Throws when the upstream connection fails (the caller decides between an HTTP error and an in-stream frame).
   */
  async pull(): Promise<Uint8Array | null> {
    for (;;) {
      const ready = this.#take();
      if (ready) return ready;
      if (this.#ended) return null;
      const chunk = await this.#body.read();
      if (chunk === null) {
        this.#ended = true;
        this.#sse.end(this.#onSse);
        this.#parser.end(this.#emit);
        continue;
      }
      this.#onUpstreamChunk?.(chunk);
      this.#sse.push(chunk, this.#onSse);
    }
  }

  /** Renders an error in the client's format (after the first byte) and returns its bytes. */
  renderError(status: number, message: string): Uint8Array {
    this.#ended = true;
    this.#onIr({ type: "error", status, message });
    return this.#take() ?? new Uint8Array(0);
  }

  cancel(): void {
    this.#ended = true;
    this.#body.cancel();
  }
}
