/**
 * One request log as the writer needs it, and the snapshot that makes it independent of the objects it was built
 * from (taken when the entry is enqueued).
 */

/** Header lines in the order they are logged. */
export type HeaderPairs = readonly (readonly [string, string])[];
/** Headers as captured (a live `Headers`, or pairs); a snapshot always holds pairs. */
export type HeaderSource = Headers | HeaderPairs | null;
/**
 * A body as captured: text, bytes, a list of chunks (concatenated in order), or a JSON value. JSON values are
 * treated as immutable (the core's contract for `RequestContext.body`) and serialised by the writer.
 */
export type BodySource = string | Uint8Array | readonly Uint8Array[] | JsonLike | null;
// deno-lint-ignore no-explicit-any
type JsonLike = { readonly [key: string]: any };

/** One upstream attempt. */
export interface AttemptLog {
  /** From 1. */
  readonly index: number;
  /** Epoch ms when the request was sent. */
  readonly requestedAt: number;
  readonly url: string;
  readonly method: string;
  readonly headers: HeaderSource;
  readonly body: BodySource;
  readonly provider: string;
  readonly authId: string;
  readonly authLabel: string;
  /** Upstream status; null when no response arrived. */
  readonly status: number | null;
  /** Epoch ms of the response head; null when none. */
  readonly respondedAt: number | null;
  readonly responseHeaders: HeaderSource;
  /** Upstream body bytes (stream chunks in order, or an error body). */
  readonly responseBody: BodySource;
}

/** An error that reached the client (`=== API ERROR RESPONSE ===`). */
export interface ErrorLog {
  readonly status: number;
  readonly message: string;
}

export interface LogEntry {
  /** A forced error log: written while `request-log` is off, named `error-…`, never dropped. */
  readonly forced: boolean;
  readonly requestId: string;
  /** Epoch ms when the request arrived. */
  readonly timestamp: number;
  /** Path and query as the client sent them (masked when written). */
  readonly url: string;
  readonly method: string;
  readonly requestHeaders: HeaderSource;
  readonly requestBody: BodySource;
  readonly attempts: readonly AttemptLog[];
  readonly errors: readonly ErrorLog[];
  /** Status sent to the client; 0 when nothing was sent. */
  readonly status: number;
  readonly responseHeaders: HeaderSource;
  readonly responseBody: BodySource;
  /** Streamed to the client. */
  readonly stream: boolean;
  /** Bytes were left out because the request exceeded the capture limit. */
  readonly truncatedBytes: number;
}

/** Copies headers into pairs (names lower-case, as `Headers` yields them). */
export function snapshotHeaders(h: HeaderSource): HeaderPairs | null {
  if (h === null) return null;
  const out: [string, string][] = [];
  if (h instanceof Headers) {
    h.forEach((value, name) => {
      out.push([name, value]);
    });
  } else {
    for (const [name, value] of h) out.push([name, value]);
  }
  return out;
}

/** Joins chunks into one new buffer. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Strings are immutable; bytes and chunk lists are copied; JSON values are kept (immutable by contract). */
export function snapshotBody(b: BodySource): BodySource {
  if (b === null || typeof b === "string") return b;
  if (b instanceof Uint8Array) return b.slice();
  if (Array.isArray(b)) return b.length === 0 ? null : concatBytes(b as readonly Uint8Array[]);
  return b;
}

/** Same chunk objects in the same order (a passthrough sends the upstream's own chunks to the client). */
function sameChunks(a: BodySource, b: BodySource): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function copyAttempt(a: AttemptLog, headers: (h: HeaderSource) => HeaderSource, body: (b: BodySource) => BodySource) {
  return {
    index: a.index,
    requestedAt: a.requestedAt,
    url: a.url,
    method: a.method,
    headers: headers(a.headers),
    body: body(a.body),
    provider: a.provider,
    authId: a.authId,
    authLabel: a.authLabel,
    status: a.status,
    respondedAt: a.respondedAt,
    responseHeaders: headers(a.responseHeaders),
    responseBody: body(a.responseBody),
  };
}

function copyEntry(
  e: LogEntry,
  headers: (h: HeaderSource) => HeaderSource,
  body: (b: BodySource) => BodySource,
): LogEntry {
  const attempts: AttemptLog[] = [];
  for (const a of e.attempts) attempts.push(copyAttempt(a, headers, body));
  const errors: ErrorLog[] = [];
  for (const x of e.errors) errors.push({ status: x.status, message: x.message });
  // A passthrough's client body is the last attempt's chunks: copy those bytes once.
  const last = e.attempts.length > 0 ? e.attempts.length - 1 : -1;
  const responseBody = last >= 0 && sameChunks(e.responseBody, e.attempts[last]!.responseBody)
    ? attempts[last]!.responseBody
    : body(e.responseBody);
  return {
    forced: e.forced,
    requestId: e.requestId,
    timestamp: e.timestamp,
    url: e.url,
    method: e.method,
    requestHeaders: headers(e.requestHeaders),
    requestBody: body(e.requestBody),
    attempts,
    errors,
    status: e.status,
    responseHeaders: headers(e.responseHeaders),
    responseBody,
    stream: e.stream,
    truncatedBytes: e.truncatedBytes,
  };
}

/**
 * A deep copy of everything mutable in `e` — headers become pairs, bytes and chunk lists are copied — so nothing the
 * caller does after enqueue can change the log. This is what the emitter stores at enqueue.
 */
export function snapshotEntry(e: LogEntry): LogEntry {
  return copyEntry(e, snapshotHeaders, snapshotBody);
}

function keepHeaders(h: HeaderSource): HeaderSource {
  return h === null || h instanceof Headers ? h : h.slice();
}

function keepBody(b: BodySource): BodySource {
  return Array.isArray(b) ? b.slice() : b;
}

/**
 * The cheap alternative for entries whose `Headers` and bytes are handed over for good (the core's tap objects, which
 * it never touches again): the entry, its attempts and every list are copied, the `Headers` and byte objects shared.
 * About ten times cheaper than {@link snapshotEntry}; see the bench.
 */
export function snapshotOwnedEntry(e: LogEntry): LogEntry {
  return copyEntry(e, keepHeaders, keepBody);
}
