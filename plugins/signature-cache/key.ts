/**
 * The cache key of a thinking text: the first 16 hex characters of its SHA-256 (CLIProxyAPI's key, so a shared store
 * would agree with it). Hashing is most of what a lookup costs.
 *
 * Each runtime's `node:crypto` has its own fastest spelling for a short text: the one-shot `hash()` (Node ≥ 20.12,
 * Bun) skips building a Hash object, while Deno's `hash()` is a slower wrapper, so Deno (and an older Node without
 * `hash`) uses `createHash`. bench/signature-cache.bench.ts has the figures.
 */
import * as nodeCrypto from "node:crypto";
import { KEY_HEX_LENGTH } from "./constants.ts";

type OneShotHash = (algorithm: string, data: string, encoding: "hex") => string;

const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** Full SHA-256 hex digest of `text` (UTF-8). */
export const sha256Hex: (text: string) => string = typeof oneShot === "function" && !isDeno
  ? (text) => oneShot("sha256", text, "hex")
  : (text) => nodeCrypto.createHash("sha256").update(text).digest("hex");

/** The cache key of a thinking text. */
export function signatureKey(text: string): string {
  return sha256Hex(text).slice(0, KEY_HEX_LENGTH);
}
