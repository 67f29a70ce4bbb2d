/**
 * Renders a {@link LogEntry} as CLIProxyAPI lays out a request log (modules.md §3), in order, empty API sections
 * omitted:
 *
 * ```
 * === REQUEST INFO ===          Version, URL (query masked), Method, transports, Timestamp
 * === HEADERS ===               client headers, secrets masked
 * === REQUEST BODY ===
 * === API REQUEST n ===         per upstream attempt: Timestamp, Upstream URL, HTTP Method, Auth, Headers, Body
 * === API ERROR RESPONSE ===    HTTP Status and text of the error the client got
 * === API RESPONSE n ===        per attempt with a response: Timestamp, Status, Headers, Body (stream chunks as sent)
 * === RESPONSE ===              Status, headers, blank line, client body
 * ```
 *
 * Each section ends with two blank lines, as CLIProxyAPI's `writeSectionSpacing` leaves them. Runs on the writer,
 * never on the response path.
 */
import type { AttemptLog, BodySource, HeaderSource, LogEntry } from "./entry.ts";
import { maskHeaderValue, maskUrl } from "./mask.ts";

const utf8 = new TextEncoder();
const NL = 0x0a;

/** `content-type` → `Content-Type` (Go's canonical header key, as CLIProxyAPI prints them). */
export function canonicalHeaderName(name: string): string {
  let out = "";
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === "-";
  }
  return out;
}

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, "0");
}

/** RFC 3339 in local time with milliseconds: `2026-11-25T22:01:05.123+01:00`. */
export function formatTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? "Z" : `${offset > 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${
    pad(d.getSeconds())
  }.${pad(d.getMilliseconds(), 3)}${zone}`;
}

function trailingNewlines(part: string | Uint8Array): number {
  let n = 0;
  if (typeof part === "string") {
    for (let i = part.length - 1; i >= 0 && part.charCodeAt(i) === NL; i--) n++;
  } else {
    for (let i = part.byteLength - 1; i >= 0 && part[i] === NL; i--) n++;
  }
  return n;
}

function isEmpty(part: string | Uint8Array): boolean {
  return typeof part === "string" ? part.length === 0 : part.byteLength === 0;
}

/** Collects text and byte parts; `spacing()` pads what was written last to three newlines. */
class Out {
  readonly parts: (string | Uint8Array)[] = [];
  /** Trailing newlines of everything written so far. */
  #trailing = 0;

  text(s: string | Uint8Array): void {
    if (isEmpty(s)) return;
    this.parts.push(s);
    const t = trailingNewlines(s);
    const len = typeof s === "string" ? s.length : s.byteLength;
    this.#trailing = t === len ? this.#trailing + t : t;
  }

  get trailing(): number {
    return this.#trailing;
  }

  /** Ends a section: at least three newlines in a row (two blank lines). */
  spacing(): void {
    const missing = 3 - this.#trailing;
    if (missing > 0) this.text("\n".repeat(missing));
  }

  bytes(): Uint8Array {
    const encoded: Uint8Array[] = this.parts.map((p) => (typeof p === "string" ? utf8.encode(p) : p));
    let size = 0;
    for (const e of encoded) size += e.byteLength;
    const out = new Uint8Array(size);
    let offset = 0;
    for (const e of encoded) {
      out.set(e, offset);
      offset += e.byteLength;
    }
    return out;
  }
}

function pairsOf(h: HeaderSource): readonly (readonly [string, string])[] {
  if (h === null) return [];
  if (h instanceof Headers) {
    const out: [string, string][] = [];
    h.forEach((value, name) => {
      out.push([name, value]);
    });
    return out;
  }
  return h;
}

function writeHeaders(out: Out, h: HeaderSource, noneMarker: boolean, sorted: boolean): void {
  const pairs = [...pairsOf(h)];
  if (pairs.length === 0) {
    if (noneMarker) out.text("<none>\n");
    return;
  }
  if (sorted) {
    pairs.sort((a, b) => {
      const x = a[0].toLowerCase();
      const y = b[0].toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  let s = "";
  for (const [name, value] of pairs) s += `${canonicalHeaderName(name)}: ${maskHeaderValue(name, value)}\n`;
  out.text(s);
}

/** The body as text or bytes; null when empty. */
export function bodyPart(b: BodySource): string | Uint8Array | null {
  if (b === null) return null;
  if (typeof b === "string") return b === "" ? null : b;
  if (b instanceof Uint8Array) return b.byteLength === 0 ? null : b;
  if (Array.isArray(b)) {
    const chunks = b as readonly Uint8Array[];
    if (chunks.length === 0) return null;
    if (chunks.length === 1) return chunks[0]!.byteLength === 0 ? null : chunks[0]!;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    if (size === 0) return null;
    const all = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      all.set(c, offset);
      offset += c.byteLength;
    }
    return all;
  }
  try {
    return JSON.stringify(b);
  } catch {
    return "[unserialisable body]";
  }
}

function authLine(a: AttemptLog): string {
  const parts: string[] = [];
  if (a.provider.trim()) parts.push(`provider=${a.provider.trim()}`);
  if (a.authId.trim()) parts.push(`auth_id=${a.authId.trim()}`);
  if (a.authLabel.trim()) parts.push(`label=${a.authLabel.trim()}`);
  return parts.join(", ");
}

function writeApiRequest(out: Out, a: AttemptLog): void {
  let head = `=== API REQUEST ${a.index} ===\nTimestamp: ${formatTimestamp(a.requestedAt)}\n`;
  head += `Upstream URL: ${a.url ? maskUrl(a.url) : "<unknown>"}\n`;
  if (a.method) head += `HTTP Method: ${a.method}\n`;
  const auth = authLine(a);
  if (auth) head += `Auth: ${auth}\n`;
  head += "\nHeaders:\n";
  out.text(head);
  writeHeaders(out, a.headers, true, true);
  out.text("\nBody:\n");
  out.text(bodyPart(a.body) ?? "<empty>");
  out.text("\n\n");
}

function writeApiResponse(out: Out, a: AttemptLog): void {
  out.text(`=== API RESPONSE ${a.index} ===\nTimestamp: ${formatTimestamp(a.respondedAt ?? a.requestedAt)}\n\n`);
  if (a.status !== null && a.status > 0) out.text(`Status: ${a.status}\n`);
  out.text("Headers:\n");
  writeHeaders(out, a.responseHeaders, true, true);
  out.text("\n");
  const body = bodyPart(a.responseBody);
  if (body !== null) {
    out.text("Body:\n");
    out.text(body);
  }
  if (out.trailing === 0) out.text("\n");
}

/** The whole file. `version` goes in `Version:`. */
export function renderLog(e: LogEntry, version: string): Uint8Array {
  const out = new Out();
  // --- REQUEST INFO
  let info = `=== REQUEST INFO ===\nVersion: ${version}\nURL: ${maskUrl(e.url)}\nMethod: ${e.method}\n`;
  info += "Downstream Transport: http\n";
  if (e.attempts.length > 0) info += "Upstream Transport: http\n";
  info += `Timestamp: ${formatTimestamp(e.timestamp)}\n`;
  if (e.truncatedBytes > 0) {
    info += `Capture Truncated: ${e.truncatedBytes} bytes beyond the per-request capture limit were not logged\n`;
  }
  out.text(info);
  out.spacing();

  // --- HEADERS
  out.text("=== HEADERS ===\n");
  writeHeaders(out, e.requestHeaders, false, false);
  out.spacing();

  // --- REQUEST BODY
  out.text("=== REQUEST BODY ===\n");
  const body = bodyPart(e.requestBody);
  if (body !== null) out.text(body);
  out.spacing();

  // --- API REQUEST n (all attempts, then one spacing)
  if (e.attempts.length > 0) {
    for (const a of e.attempts) writeApiRequest(out, a);
    out.spacing();
  }

  // --- API ERROR RESPONSE
  for (const err of e.errors) {
    out.text(`=== API ERROR RESPONSE ===\nHTTP Status: ${err.status}\n`);
    out.text(err.message);
    out.spacing();
  }

  // --- API RESPONSE n (attempts that got a response)
  const answered = e.attempts.filter((a) => a.status !== null || bodyPart(a.responseBody) !== null);
  if (answered.length > 0) {
    answered.forEach((a, i) => {
      writeApiResponse(out, a);
      if (i < answered.length - 1) out.text("\n");
    });
    out.spacing();
  }

  // --- RESPONSE
  out.text("=== RESPONSE ===\n");
  if (e.status > 0) out.text(`Status: ${e.status}\n`);
  writeHeaders(out, e.responseHeaders, false, false);
  const response = bodyPart(e.responseBody);
  const startsWithNewline = response !== null &&
    (typeof response === "string"
      ? response.startsWith("\n") || response.startsWith("\r\n")
      : response[0] === NL || (response[0] === 0x0d && response[1] === NL));
  if (!startsWithNewline) out.text("\n");
  if (response !== null) out.text(response);
  if (!e.stream) out.text("\n");
  return out.bytes();
}
