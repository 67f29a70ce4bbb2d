/**
 * Per-request state. Every field is declared in the constructor so all contexts share one object shape; plugins keep
 * their own state in typed slots (`SetupContext.slot`), never as ad-hoc properties.
 */
import type { JsonObject, Operation, WireFormat } from "../formats/wire-format.ts";
import type { Logger } from "../log.ts";
import type { RouteTarget } from "../plugin/types.ts";
import type { IrReasoning, IrRequest } from "../formats/ir.ts";
import type { Snapshot } from "../config/snapshot.ts";

let counter = 0;
const RUN_ID = Math.floor(Math.random() * 0xffffff).toString(36);

/** Short, unique within a process run, cheap: no crypto on the hot path. */
function nextRequestId(): string {
  counter = (counter + 1) | 0;
  return `${RUN_ID}-${(counter >>> 0).toString(36)}`;
}

export class RequestContext {
  readonly id: string;
  /** The config snapshot this request started on; used for its whole life, streaming included. */
  readonly snapshot: Snapshot;
  /** The client's wire format. */
  readonly format: WireFormat;
  readonly operation: Operation;
  /** The original client request. */
  readonly request: Request;
  /** Client address when the runtime exposes it. */
  readonly remoteAddress: string | null;
  /** Parsed request body. Plugins replace it in `onRequest` rather than mutate it in place. */
  body: JsonObject;
  /** The body exactly as the client sent it (decoded as UTF-8), for plugins that record requests. */
  readonly rawBody: string;
  /** Model as the client asked for it. */
  model: string;
  readonly stream: boolean;
  /** `performance.now()` at entry. */
  readonly startedAt: number;
  /** Aborted when the client disconnects or the server shuts down. */
  readonly signal: AbortSignal;
  /** Set once a route is chosen. */
  target: RouteTarget | null;
  /** The wire format the current attempt speaks to its upstream (set with `target`, before the request is built). */
  upstreamFormat: WireFormat | null;
  /** Query parameters the format needs (Gemini `alt`), parsed once at the edge. */
  readonly query: URLSearchParams;
  /** The body parsed into the IR, once, when an attempt needs translation. */
  ir: IrRequest | null;
  /** Reasoning asked for by a `model(level)` / `model(budget)` suffix; it beats the body's own setting. */
  reasoningOverride: IrReasoning | null;
  #slots: Map<string, unknown> | undefined;
  #log: Logger | undefined;

  constructor(init: {
    snapshot: Snapshot;
    format: WireFormat;
    operation: Operation;
    request: Request;
    remoteAddress: string | null;
    body: JsonObject;
    rawBody: string;
    model: string;
    stream: boolean;
    signal: AbortSignal;
    query: URLSearchParams;
  }) {
    this.id = nextRequestId();
    this.snapshot = init.snapshot;
    this.format = init.format;
    this.operation = init.operation;
    this.request = init.request;
    this.remoteAddress = init.remoteAddress;
    this.body = init.body;
    this.rawBody = init.rawBody;
    this.model = init.model;
    this.stream = init.stream;
    this.startedAt = performance.now();
    this.signal = init.signal;
    this.target = null;
    this.upstreamFormat = null;
    this.query = init.query;
    this.ir = null;
    this.reasoningOverride = null;
    this.#slots = undefined;
    this.#log = undefined;
  }

  /** Logger tagged with the request id, created on first use. */
  get log(): Logger {
    return (this.#log ??= this.snapshot.log.child(`req ${this.id}`));
  }

  /** @internal Used by `SetupContext.slot`. */
  getSlot(key: string): unknown {
    return this.#slots?.get(key);
  }

  /** @internal Used by `SetupContext.slot`. */
  setSlot(key: string, value: unknown): void {
    (this.#slots ??= new Map()).set(key, value);
  }
}
