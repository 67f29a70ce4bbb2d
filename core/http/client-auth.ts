/**
 * Client API-key auth as CLIProxyAPI does it (behaviour.md §1.2): the first candidate found among
 * `Authorization: Bearer`, `X-Goog-Api-Key`, `X-Api-Key`, `?key=`, `?auth_token=` that is a configured key wins.
 * Keys are compared as SHA-256 digests with `timingSafeEqual`, so neither content nor length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface ClientAuth {
  /** Empty `api-keys`: no auth at all. */
  readonly open: boolean;
  /**
   * Keys already accepted under this snapshot. A client sends the same key on every request: remembering accepted
   * ones saves a SHA-256 per request (~12–18 µs on Node and Deno). Only correct keys enter it, so a guess still pays
   * the constant-time comparison; bounded so it cannot grow without limit.
   */
  readonly accepted: Set<string>;
  /** CLIProxyAPI's template keys are still configured: refuse to proxy until they are replaced. */
  readonly unsafeExample: boolean;
  readonly digests: readonly Uint8Array[];
}

const EXAMPLE_KEYS = new Set(["your-api-key-1", "your-api-key-2", "your-api-key-3"]);

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

export function compileClientAuth(keys: readonly string[]): ClientAuth {
  const clean = keys.map((k) => k.trim()).filter(Boolean);
  return Object.freeze({
    open: clean.length === 0,
    unsafeExample: clean.some((k) => EXAMPLE_KEYS.has(k)),
    digests: Object.freeze(clean.map(digest)),
    accepted: new Set<string>(),
  });
}

const ACCEPTED_MAX = 1024;

function matches(auth: ClientAuth, candidate: string): boolean {
  // Fast path: a key this snapshot already accepted.
  if (auth.accepted.has(candidate)) return true;
  const d = digest(candidate);
  let ok = false;
  // Compare against every key, without an early exit, so timing does not reveal which one matched.
  for (const key of auth.digests) ok = timingSafeEqual(d, key) || ok;
  if (ok && auth.accepted.size < ACCEPTED_MAX) auth.accepted.add(candidate);
  return ok;
}

export type AuthResult = "ok" | "missing" | "invalid";

/** Checks a request's credentials; `query` is only consulted when the URL has one. */
export function checkClientAuth(auth: ClientAuth, headers: Headers, url: string): AuthResult {
  if (auth.open) return "ok";
  let seen = false;
  const authorization = headers.get("authorization");
  if (authorization) {
    seen = true;
    const space = authorization.indexOf(" ");
    // `Bearer <k>` (scheme case-insensitive); any other header, with or without a space, is taken whole.
    const value = space === 6 && authorization.slice(0, 6).toLowerCase() === "bearer"
      ? authorization.slice(space + 1).trim()
      : authorization;
    if (matches(auth, value)) return "ok";
  }
  for (const name of ["x-goog-api-key", "x-api-key"]) {
    const v = headers.get(name);
    if (v) {
      seen = true;
      if (matches(auth, v)) return "ok";
    }
  }
  const q = url.indexOf("?");
  if (q !== -1) {
    const params = new URLSearchParams(url.slice(q + 1));
    for (const name of ["key", "auth_token"]) {
      const v = params.get(name);
      if (v) {
        seen = true;
        if (matches(auth, v)) return "ok";
      }
    }
  }
  return seen ? "invalid" : "missing";
}
