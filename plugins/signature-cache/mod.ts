/** The `signature-cache` plugin: thinking signatures restored across formats (modules.md §2). */
export {
  createSignatureCachePlugin,
  default,
  PLUGIN_NAME,
  type SignatureCacheHandle,
  type SignatureCacheHooks,
  type SignatureCachePluginDeps,
} from "./plugin.ts";
export { type CachedSignature, SignatureCache, type SignatureCacheSettings } from "./cache.ts";
export {
  GEMINI_SENTINEL,
  KEY_HEX_LENGTH,
  KEY_MEMO_MAX_CHARS,
  KEY_MEMO_MAX_ENTRIES,
  KEY_MEMO_MAX_TEXT_LENGTH,
  MAX_ENTRIES_PER_GROUP,
  MAX_GROUPS,
  MIN_SIGNATURE_LENGTH,
  PURGE_INTERVAL_MS,
  SIGNATURE_TTL_MS,
} from "./constants.ts";
export { modelGroup } from "./group.ts";
export { sha256Hex, signatureKey } from "./key.ts";
export { KeyMemo, type KeyMemoLimits, MAX_SAME_FINGERPRINT, textFingerprint } from "./key-memo.ts";
export { restoreSignatures } from "./restore.ts";
export { recordResponse, StreamSignatureRecorder } from "./record.ts";
export { signsThinking } from "./upstream-format.ts";
export { type IntervalTimers, systemTimers } from "./timers.ts";
export { SIGNATURE_CACHE_KEYS, type SignatureCacheOptions, signatureCacheOptions } from "./options.ts";
