/**
 * Session affinity (`routing.session-affinity`, behaviour.md §3.2): requests of one client session keep going to the
 * credential that served it, so upstream prompt caches stay warm.
 *
 * The session id comes, first match wins, from the headers `X-Claude-Code-Session-Id`, the Claude Code
 * `metadata.user_id` session (JSON `{"session_id":…}` or the legacy `user_<hash>_account__session_<uuid>`),
 * `Session-Id`, `Session_id`, `X-Session-ID`, `X-Session-Affinity`, `X-Client-Request-Id`, then the body's
 * `session_id` / `sessionId`, `prompt_cache_key` (with `conversation` bound alongside as an alias), `conversation` /
 * `conversation.id`, `metadata.user_id`, `conversation_id`, else a hash of the conversation's root: the leading
 * system / developer instructions and the first user message. Each source keeps CLIProxyAPI's namespace prefix
 * (`claude:`, `codex:`, `pck:`…) so a value from one source never collides with the same value from another.
 *
 * Bindings are `mixed::<session>::<model sans thinking suffix>` → credential id, in a bounded LRU map with a TTL that a
 * success refreshes and a failure that cools the credential drops. The map lives outside snapshots (a reload keeps
 * the bindings); time comes from an injectable clock so tests never sleep. Nothing here runs when affinity is off.
 */
import type { JsonObject, JsonValue } from "../formats/wire-format.ts";
import type { Clock } from "./cooldown.ts";

/** Bound on the number of bindings; the least recently used one goes first. */
export const DEFAULT_MAX_SESSION_BINDINGS = 10_000;

/** CLIProxyAPI's limit on an explicit id (longer values are ignored, not truncated). */
const MAX_ID_LENGTH = 256;
/** Characters of each instruction / user text fed to the conversation hash: enough to tell sessions apart, cheap. */
const HASH_TEXT_LIMIT = 2048;

/** A request's session ids: the one to look up, and an alias bound with it (`conversation` next to `prompt_cache_key`). */
export interface SessionIds {
  readonly primary: string;
  readonly alias: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Extraction

/** CPA `NormalizeExplicitID`: printable, trimmed, 1..256 characters; anything else is no id at all. */
export function normalizeSessionId(raw: unknown): string {
  let text: string;
  if (typeof raw === "string") text = raw;
  else if (typeof raw === "number" && Number.isFinite(raw)) text = String(raw);
  else return "";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return "";
  text = text.trim();
  return text.length === 0 || text.length > MAX_ID_LENGTH ? "" : text;
}

const LEGACY_CLAUDE_SESSION = /_session_([a-f0-9-]+)$/;

/** The session inside Claude Code's `metadata.user_id`: JSON `{"session_id":…}` or the legacy `…_session_<uuid>`. */
export function claudeMetadataSessionId(body: JsonObject): string {
  const metadata = body.metadata;
  if (!isObject(metadata)) return "";
  const userId = typeof metadata.user_id === "string" ? metadata.user_id.trim() : "";
  if (userId === "") return "";
  if (userId.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(userId);
      return isObject(parsed) ? normalizeSessionId(parsed.session_id) : "";
    } catch {
      return "";
    }
  }
  const m = LEGACY_CLAUDE_SESSION.exec(userId);
  return m ? normalizeSessionId(m[1]) : "";
}

const HEADER_SOURCES: readonly (readonly [string, string])[] = [
  ["session-id", "codex:"],
  ["session_id", "codex:"],
  ["x-session-id", "header:"],
  ["x-session-affinity", "affinity:"],
  ["x-client-request-id", "clientreq:"],
];

/** The request's session ids, or null when it carries none and has no conversation root to hash. */
export function extractSessionIds(headers: Headers, body: JsonObject): SessionIds | null {
  let sid = normalizeSessionId(headers.get("x-claude-code-session-id"));
  if (sid) return { primary: "claude:" + sid, alias: null };
  sid = claudeMetadataSessionId(body);
  if (sid) return { primary: "claude:" + sid, alias: null };
  for (const [name, prefix] of HEADER_SOURCES) {
    sid = normalizeSessionId(headers.get(name));
    if (sid) return { primary: prefix + sid, alias: null };
  }

  sid = normalizeSessionId(body.session_id) || normalizeSessionId(body.sessionId);
  if (sid) return { primary: "session:" + sid, alias: null };
  const conversation = body.conversation;
  const conv = normalizeSessionId(isObject(conversation) ? conversation.id : conversation);
  const conversationId = conv ? "conv:" + conv : null;
  sid = normalizeSessionId(body.prompt_cache_key);
  if (sid) return { primary: "pck:" + sid, alias: conversationId };
  if (conversationId !== null) return { primary: conversationId, alias: null };
  const metadata = body.metadata;
  sid = isObject(metadata) ? normalizeSessionId(metadata.user_id) : "";
  if (sid) return { primary: "user:" + sid, alias: null };
  sid = normalizeSessionId(body.conversation_id);
  if (sid) return { primary: "conv:" + sid, alias: null };

  const root = conversationRoot(body);
  return root === null ? null : { primary: "msg:" + hash53(root), alias: null };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Text of a content value: a string, an array of parts, or an object with `text` / `content` / `parts`. */
function textOf(value: JsonValue | undefined, out: string[] = [], depth = 0): string[] {
  if (value === undefined || value === null || depth > 4) return out;
  if (typeof value === "string") {
    if (value !== "") out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) textOf(v, out, depth + 1);
  } else if (typeof value === "object") {
    if (typeof value.text === "string") textOf(value.text, out, depth + 1);
    else if (value.content !== undefined) textOf(value.content, out, depth + 1);
    else if (value.parts !== undefined) textOf(value.parts, out, depth + 1);
  }
  return out;
}

function joined(value: JsonValue | undefined): string {
  const text = textOf(value).join("\n");
  return text.length > HASH_TEXT_LIMIT ? text.slice(0, HASH_TEXT_LIMIT) : text;
}

/**
 * The conversation's root: leading instructions (top-level `system`, `instructions`, `systemInstruction`, or
 * system / developer messages before the first user turn) and the first user message, in any client format. Later
 * turns share it, so a conversation keeps its credential without sending any id.
 */
function conversationRoot(body: JsonObject): string | null {
  const instructions: string[] = [];
  let user = "";
  const push = (v: JsonValue | undefined) => {
    const t = joined(v);
    if (t) instructions.push(t);
  };
  push(body.system);
  push(body.instructions);
  push(body.systemInstruction ?? body.system_instruction);
  // Chat / Claude `messages`, Responses `input`, Gemini `contents`.
  const turns = Array.isArray(body.messages)
    ? body.messages
    : Array.isArray(body.input)
    ? body.input
    : Array.isArray(body.contents)
    ? body.contents
    : null;
  if (turns !== null) {
    for (const turn of turns) {
      if (!isObject(turn)) continue;
      const role = typeof turn.role === "string" ? turn.role.toLowerCase() : "";
      if (role === "system" || role === "developer") push(turn.content);
      else if (role === "user") {
        user = joined(turn.content ?? turn.parts);
        if (user) break;
      }
    }
  } else if (typeof body.input === "string") {
    user = body.input.slice(0, HASH_TEXT_LIMIT);
  } else if (typeof body.prompt === "string") {
    user = body.prompt.slice(0, HASH_TEXT_LIMIT);
  }
  if (user === "" && instructions.length === 0) return null;
  return `sys:${instructions.join("\n")}\nusr:${user}`;
}

/** A fast 53-bit string hash (cyrb53) as 14 hex digits: stable within and across runs, no crypto on the hot path. */
export function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

// ---------------------------------------------------------------------------------------------------------------
// The binding map

interface Binding {
  credentialId: string;
  expiresAt: number;
}

/** Session key → credential id, bounded (LRU) and expiring. Keys are built by {@link SessionBinding}. */
export class SessionAffinityCache {
  readonly #entries = new Map<string, Binding>();
  readonly #max: number;
  readonly #clock: Clock;

  constructor(opts: { maxEntries?: number; clock?: Clock } = {}) {
    this.#max = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_SESSION_BINDINGS);
    this.#clock = opts.clock ?? Date.now;
  }

  get now(): number {
    return this.#clock();
  }

  /** Live bindings plus expired ones not yet swept (they go on access or by LRU eviction). */
  get size(): number {
    return this.#entries.size;
  }

  /** The credential bound to `key`, when the binding is still live. */
  get(key: string): string | undefined {
    const b = this.#entries.get(key);
    if (b === undefined) return undefined;
    if (b.expiresAt <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return b.credentialId;
  }

  /** Binds (or rebinds) `key` for `ttlMs` from now, as the most recently used entry. */
  set(key: string, credentialId: string, ttlMs: number): void {
    const expiresAt = this.#clock() + ttlMs;
    const b = this.#entries.get(key);
    if (b !== undefined) {
      this.#entries.delete(key);
      b.credentialId = credentialId;
      b.expiresAt = expiresAt;
      this.#entries.set(key, b);
      return;
    }
    if (this.#entries.size >= this.#max) {
      // Map iteration is insertion order and every use re-inserts: the first key is the least recently used.
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { credentialId, expiresAt });
  }

  /** Refreshes the TTL of a live binding to `credentialId`; false when `key` is bound elsewhere or not at all. */
  touch(key: string, credentialId: string, ttlMs: number): boolean {
    const b = this.#entries.get(key);
    if (b === undefined || b.credentialId !== credentialId || b.expiresAt <= this.#clock()) return false;
    this.set(key, credentialId, ttlMs);
    return true;
  }

  /** Drops `key` only while it is bound to `credentialId` (a concurrent rebind elsewhere survives). */
  release(key: string, credentialId: string): boolean {
    const b = this.#entries.get(key);
    if (b === undefined || b.credentialId !== credentialId) return false;
    this.#entries.delete(key);
    return true;
  }

  /** Drops every binding to a credential (removed from the config or the auth dir). */
  forgetCredential(credentialId: string): void {
    for (const [key, b] of this.#entries) if (b.credentialId === credentialId) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** One request's view of its session binding: the keys are built once, then looked up, bound and released. */
export class SessionBinding {
  readonly #cache: SessionAffinityCache;
  readonly #ttlMs: number;
  readonly key: string;
  readonly aliasKey: string | null;

  private constructor(cache: SessionAffinityCache, ttlMs: number, key: string, aliasKey: string | null) {
    this.#cache = cache;
    this.#ttlMs = ttlMs;
    this.key = key;
    this.aliasKey = aliasKey;
  }

  /**
   * The binding of a request for `model` (the routing model, thinking suffix stripped), or null when the request
   * carries no session at all. The pool is always CLIProxyAPI's "mixed" one: every provider serving the model.
   */
  static of(
    cache: SessionAffinityCache,
    ttlMs: number,
    headers: Headers,
    body: JsonObject,
    model: string,
  ): SessionBinding | null {
    const ids = extractSessionIds(headers, body);
    if (ids === null) return null;
    const alias = ids.alias !== null && ids.alias !== ids.primary ? `mixed::${ids.alias}::${model}` : null;
    return new SessionBinding(cache, ttlMs, `mixed::${ids.primary}::${model}`, alias);
  }

  /** The credential this session is bound to (the alias, e.g. an earlier `conversation` id, when the key is new). */
  bound(): string | undefined {
    const id = this.#cache.get(this.key);
    if (id !== undefined || this.aliasKey === null) return id;
    return this.#cache.get(this.aliasKey);
  }

  /** Binds the session to the credential about to be tried (CPA binds at pick time, so parallel turns agree). */
  bind(credentialId: string): void {
    this.#cache.set(this.key, credentialId, this.#ttlMs);
    if (this.aliasKey !== null) this.#cache.set(this.aliasKey, credentialId, this.#ttlMs);
  }

  /** A success refreshes the TTL (of a binding still naming that credential: a concurrent rebind wins). */
  touch(credentialId: string): void {
    this.#cache.touch(this.key, credentialId, this.#ttlMs);
    if (this.aliasKey !== null) this.#cache.touch(this.aliasKey, credentialId, this.#ttlMs);
  }

  /** A failure that cools the credential drops the binding, so the next turn picks afresh. */
  release(credentialId: string): void {
    this.#cache.release(this.key, credentialId);
    if (this.aliasKey !== null) this.#cache.release(this.aliasKey, credentialId);
  }
}
