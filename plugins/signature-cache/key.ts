/**
 * The cache key of a thinking text: the first 16 hex characters of its SHA-256 (CLIProxyAPI's key, so a shared store
 * would agree with it). Hashing is most of what a lookup costs; the cache memoises text → key (key-memo.ts), so this
 * runs once per distinct text, and always for a text stored for the first time.
 *
 * Each runtime has its own fastest spelling. Measured per call on a ~150-character text (3 SHA-256 blocks), 2 vCPU
 * AMD EPYC with SHA-NI, a shared machine (best / median of 35 rounds of 4,000 calls, all spellings interleaved; the
 * order held in five runs, the figures moved by up to ~2× with the machine's load):
 *
 * | spelling                                        | Deno 2.9       | Bun 1.4         | Node 20.20      |
 * |-------------------------------------------------|----------------|-----------------|-----------------|
 * | `createHash("sha256").update(t).digest("hex")`  | 1.00 / 1.42 µs | 0.72 / 1.25 µs  | 0.84 / 1.75 µs  |
 * | one-shot `hash("sha256", t, "hex")`             | 0.99 / 1.68 µs | 0.38 / 0.63 µs  | 0.52 / 0.91 µs  |
 * | `Bun.CryptoHasher.hash("sha256", t, "hex")`     | -              | 0.35 / 0.61 µs  | -               |
 * | `Bun.SHA256.hash(t, "hex")`                     | -              | 0.27 / 0.40 µs  | -               |
 * | `Bun.SHA256.hash(t, buf)` + 16 hex by hand      | -              | 0.27 / 0.39 µs  | -               |
 * | pure TypeScript SHA-256 (below)                 | 1.34 / 1.58 µs | 1.15 / 1.68 µs  | 1.46 / 2.49 µs  |
 *
 * So: Bun uses `Bun.SHA256.hash` (one native call, no `node:crypto` layer); Node ≥ 20.12 the one-shot `hash()`; Deno
 * (whose one-shot `hash()` was no faster, and noisier, in every run) and an older Node without `hash` use
 * `createHash`. A pure-TypeScript SHA-256 (UTF-8 encoded in place into a preallocated `Int32Array` schedule, nothing
 * allocated per call, only the first 64 bits turned into hex) loses everywhere: its compression function alone costs
 * 340–620 ns per 64-byte block on these engines, while the native code (SHA-NI) hashes a block in ~40 ns (a 1 MiB text
 * on Bun) and the rest of a native call is fixed overhead. It was measured and left out.
 */
import * as nodeCrypto from "node:crypto";
import { KEY_HEX_LENGTH } from "./constants.ts";

type OneShotHash = (algorithm: string, data: string, encoding: "hex") => string;
interface BunSha256 {
  hash(input: string, encoding: "hex"): string;
}

const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const bunSha256 = (globalThis as { Bun?: { SHA256?: BunSha256 } }).Bun?.SHA256;

/** Full SHA-256 hex digest of `text` (UTF-8; a lone surrogate is U+FFFD, as `TextEncoder` and `node:crypto` do). */
export const sha256Hex: (text: string) => string = typeof bunSha256?.hash === "function"
  ? (text) => bunSha256.hash(text, "hex")
  : typeof oneShot === "function" && !isDeno
  ? (text) => oneShot("sha256", text, "hex")
  : (text) => nodeCrypto.createHash("sha256").update(text).digest("hex");

/** The cache key of a thinking text. */
export function signatureKey(text: string): string {
  return sha256Hex(text).slice(0, KEY_HEX_LENGTH);
}
