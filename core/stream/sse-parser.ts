/**
 * Incremental Server-Sent Events parser (WHATWG "event stream interpretation") for upstream LLM streams.
 *
 * Each chunk is decoded once (a streaming `TextDecoder` only where a character is split across chunks), then lines
 * are found with `indexOf` over the decoded text. Only a partial trailing line is carried between chunks; events go
 * to a caller-supplied callback, so parsing a chunk allocates nothing but its text, the event objects and their
 * field strings.
 *
 * @module
 */

/** One dispatched event. Optional fields are present only when the event's block set them. */
export interface SseEvent {
  /** `event:` field; absent when the block had none or an empty one (WHATWG treats both as "message"). */
  event?: string;
  /** The block's `data:` lines joined with `\n`. */
  data: string;
  /** `id:` field of this block. Keeping a last-event-ID across events is left to the consumer. */
  id?: string;
  /** `retry:` field of this block, when it was ASCII digits only. */
  retry?: number;
}

/** Options for {@link SseParser}. */
export interface SseParserOptions {
  /**
   * Longest partial line (UTF-16 code units) kept while waiting for its line end; beyond it `push` throws a
   * `RangeError` instead of buffering without bound. Defaults to 50 MiB, as CLIProxyAPI's line scanner.
   */
  maxLineLength?: number;
}

const LF = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;
const BOM = 0xfeff;
const LOWER_D = 0x64;
const DEFAULT_MAX_LINE_LENGTH = 50 * 1024 * 1024;
const DIGITS = /^[0-9]+$/;
// Hoisted so `decode` does not allocate an options object per chunk.
const STREAM: TextDecodeOptions = { stream: true };
// Shared by all parsers: a decode without `stream` keeps no state. Never given `stream: true`, which on Node 20
// would switch this decoder off its fast path for good. ignoreBOM: pushText drops the BOM itself, so bytes and
// text input behave the same on every runtime.
const ONE_SHOT = new TextDecoder("utf-8", { ignoreBOM: true });

// How a chunk's bytes end, for choosing the decode mode (see utf8Tail).
const TAIL_COMPLETE = 0;
const TAIL_OPEN = 1;
const TAIL_UNKNOWN = 2;

/**
 * Classifies the end of a UTF-8 chunk: TAIL_OPEN when it may end inside a character (a streaming decoder would
 * hold those bytes back), TAIL_COMPLETE when it cannot, TAIL_UNKNOWN when the chunk is one or two continuation
 * bytes, whose meaning depends on what came before. Errs towards TAIL_OPEN, which only costs the streaming decode.
 */
function utf8Tail(chunk: Uint8Array): number {
  const len = chunk.length;
  // A held prefix is at most 3 bytes (lead + 2 continuation bytes), so looking at the last 3 bytes suffices.
  for (let i = len - 1; i >= 0 && i >= len - 3; i--) {
    const b = chunk[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b < 0x80) return TAIL_COMPLETE;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return len - i < need ? TAIL_OPEN : TAIL_COMPLETE;
  }
  // Three continuation bytes end any sequence; fewer, with nothing before them, depend on the previous chunk.
  return len >= 3 ? TAIL_COMPLETE : TAIL_UNKNOWN;
}

/**
 * Incremental SSE parser: feed byte chunks with {@link SseParser.push}, then call {@link SseParser.end} once.
 * After `end` the parser is reset and may parse another stream.
 *
 * @example Parse a stream
 * ```ts
 * const parser = new SseParser();
 * const events: SseEvent[] = [];
 * const onEvent = (ev: SseEvent) => events.push(ev);
 * parser.push(new TextEncoder().encode("data: hi\n\nda"), onEvent);
 * parser.push(new TextEncoder().encode("ta: [DONE]\n"), onEvent);
 * parser.end(onEvent); // events: [{ data: "hi" }, { data: "[DONE]" }]
 * ```
 */
export class SseParser {
  #maxLineLength: number;
  #decoder: TextDecoder | undefined = undefined;
  /** `#decoder` may hold the start of a character split by the last chunk; `false` only when that is certain. */
  #decoderHolds = false;
  /** Partial line awaiting its line end; never contains `\r` or `\n`. */
  #pending = "";
  /** The previous text ended in `\r`: a `\n` opening the next text completes that same line end. */
  #skipLf = false;
  /** Whether the first character of the stream (a possible BOM) has been seen. */
  #started = false;
  // The event being built. `#event === ""` means unset.
  #data = "";
  #hasData = false;
  #event = "";
  #id: string | undefined = undefined;
  #retry: number | undefined = undefined;

  constructor({ maxLineLength = DEFAULT_MAX_LINE_LENGTH }: SseParserOptions = {}) {
    this.#maxLineLength = maxLineLength;
  }

  /** Parses a chunk of UTF-8 bytes; a chunk may end anywhere, even inside a character or between `\r` and `\n`. */
  push(chunk: Uint8Array, onEvent: (ev: SseEvent) => void): void {
    const tail = utf8Tail(chunk);
    let text: string;
    if (!this.#decoderHolds && tail === TAIL_COMPLETE) {
      // Fast path: nothing is held back from the last chunk and this one ends on a character boundary, as most
      // do, so a one-shot decode gives the same text; measured 1.5-6x faster than streaming mode on Deno and
      // Node 20.
      text = ONE_SHOT.decode(chunk);
    } else {
      // A character is split across chunks: only a streaming decoder can join it. Created on first need.
      this.#decoder ??= new TextDecoder("utf-8", { ignoreBOM: true });
      text = this.#decoder.decode(chunk, STREAM);
      if (tail !== TAIL_UNKNOWN) this.#decoderHolds = tail === TAIL_OPEN;
    }
    this.pushText(text, onEvent);
  }

  /**
   * Parses already-decoded text. Do not interleave with {@link SseParser.push} while a byte chunk may have ended
   * inside a UTF-8 sequence: the decoder's held bytes would be emitted after this text.
   */
  pushText(text: string, onEvent: (ev: SseEvent) => void): void {
    // Fast path: an empty chunk, or one holding only part of a UTF-8 sequence, decodes to "".
    if (text.length === 0) return;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    if (this.#skipLf) {
      this.#skipLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    let lf = text.indexOf("\n");
    let cr = text.indexOf("\r");
    // Fast path: no line ends in this text, so extend the partial line without scanning it again.
    if (lf === -1 && cr === -1) {
      this.#keepPartial(this.#pending.length === 0 ? text : this.#pending + text);
      return;
    }
    let buf = text;
    const carried = this.#pending.length;
    if (carried !== 0) {
      // The carried partial line holds no line breaks: positions found in `text` just shift by its length.
      buf = this.#pending + text;
      this.#pending = "";
      if (lf !== -1) lf += carried;
      if (cr !== -1) cr += carried;
    }
    const n = buf.length;
    let pos = 0;
    for (;;) {
      let end: number;
      let next: number;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        if (lf === -1) break;
        end = lf;
        next = lf + 1;
      } else {
        end = cr;
        if (cr + 1 === n) {
          // `\r` ends the text: the line is complete now; a `\n` starting the next text belongs to it.
          this.#skipLf = true;
          next = n;
        } else {
          next = buf.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        }
      }
      this.#line(buf, pos, end, onEvent);
      pos = next;
      // Each break is searched for once: rescan only for the kind of break we have moved past.
      if (lf !== -1 && lf < pos) lf = buf.indexOf("\n", pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf("\r", pos);
    }
    if (pos < n) this.#keepPartial(buf.slice(pos));
  }

  /**
   * Ends the stream: flushes the decoder (an incomplete trailing sequence becomes U+FFFD), treats an unterminated
   * last line as complete, and dispatches a last event that had data but no blank line after it (upstreams
   * sometimes end with `data: [DONE]\n`). Resets the parser.
   */
  end(onEvent: (ev: SseEvent) => void): void {
    const tail = this.#decoder?.decode(); // flush
    if (tail) this.pushText(tail, onEvent);
    const last = this.#pending;
    if (last.length !== 0) {
      this.#pending = "";
      this.#line(last, 0, last.length, onEvent);
    }
    this.#dispatch(onEvent);
    this.#started = false;
    this.#skipLf = false;
    this.#decoderHolds = false;
  }

  #keepPartial(partial: string): void {
    if (partial.length > this.#maxLineLength) {
      throw new RangeError(`Cannot parse SSE stream: line exceeds ${this.#maxLineLength} characters`);
    }
    this.#pending = partial;
  }

  /** Interprets `buf[start, end)`, one line without its line end. */
  #line(buf: string, start: number, end: number, onEvent: (ev: SseEvent) => void): void {
    // Blank line: dispatch.
    if (start === end) {
      this.#dispatch(onEvent);
      return;
    }
    const first = buf.charCodeAt(start);
    // Fast path: nearly every line of an LLM stream is `data:`. No check against `end` is needed, because the
    // five characters matched contain no line break and so lie inside this line.
    if (first === LOWER_D && buf.startsWith("data:", start)) {
      this.#appendData(buf, start + 5, end);
      return;
    }
    if (first === COLON) return; // comment
    // Find the colon within this line only (a search past `end` could rescan the buffer for every line).
    let colon = start + 1;
    while (colon < end && buf.charCodeAt(colon) !== COLON) colon++;
    const nameLength = colon - start;
    const valueStart = colon + 1; // equals end + 1 when there is no colon: the value is then ""
    // Field names are case-sensitive; unknown fields are ignored.
    if (nameLength === 4) {
      // A bare `data` line (no colon) appends an empty line; `data:` took the fast path above.
      if (buf.startsWith("data", start)) this.#appendData(buf, valueStart, end);
    } else if (nameLength === 5) {
      if (buf.startsWith("event", start)) this.#event = value(buf, valueStart, end);
      else if (buf.startsWith("retry", start)) {
        const v = value(buf, valueStart, end);
        if (DIGITS.test(v)) this.#retry = Number(v);
      }
    } else if (nameLength === 2 && buf.startsWith("id", start)) {
      const v = value(buf, valueStart, end);
      // WHATWG: an id containing NULL is ignored.
      if (v.indexOf("\0") === -1) this.#id = v;
    }
  }

  #appendData(buf: string, valueStart: number, end: number): void {
    const v = value(buf, valueStart, end);
    if (this.#hasData) {
      this.#data += "\n" + v; // only for multi-line data, which LLM upstreams rarely send
    } else {
      this.#data = v;
      this.#hasData = true;
    }
  }

  #dispatch(onEvent: (ev: SseEvent) => void): void {
    if (!this.#hasData) {
      // WHATWG: a block without data lines dispatches nothing.
      this.#event = "";
      this.#id = undefined;
      this.#retry = undefined;
      return;
    }
    const data = this.#data;
    const event = this.#event;
    // Fast path: LLM streams use two shapes, `{ data }` and `{ event, data }`, built as literals so each keeps
    // one hidden class; id and retry are rare and added afterwards.
    const ev: SseEvent = event === "" ? { data } : { event, data };
    if (this.#id !== undefined) {
      ev.id = this.#id;
      this.#id = undefined;
    }
    if (this.#retry !== undefined) {
      ev.retry = this.#retry;
      this.#retry = undefined;
    }
    // Reset before the callback, so a throwing callback leaves a consistent parser.
    this.#data = "";
    this.#hasData = false;
    this.#event = "";
    onEvent(ev);
  }
}

/** A field value: `buf[valueStart, end)` minus one leading space. `valueStart` may be `end + 1` (no colon). */
function value(buf: string, valueStart: number, end: number): string {
  if (valueStart >= end) return "";
  return buf.slice(buf.charCodeAt(valueStart) === SPACE ? valueStart + 1 : valueStart, end);
}

/** Parses a complete SSE text (tests, vectors, recorded fixtures); a final event without a blank line is kept. */
export function parseSseText(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const collect = (ev: SseEvent): void => {
    events.push(ev);
  };
  parser.pushText(text, collect);
  parser.end(collect);
  return events;
}
