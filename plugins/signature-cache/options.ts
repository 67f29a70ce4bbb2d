/**
 * Options of the plugin: CLIProxyAPI's two signature keys, validated with the config file's own schema so options
 * given under `plugins:` get the same checks and defaults.
 */
import { z } from "zod";
import { configSchema } from "../../core/config/schema.ts";

export const SIGNATURE_CACHE_KEYS = [
  "antigravity-signature-cache-enabled",
  "antigravity-signature-bypass-strict",
] as const;

export const signatureCacheOptions = z.object({
  /** Default true; false turns the plugin into a no-op (CLIProxyAPI's bypass mode), keeping what is cached. */
  "antigravity-signature-cache-enabled": configSchema.shape["antigravity-signature-cache-enabled"],
  /**
   * CLIProxyAPI's check of client-supplied signatures in bypass mode (false: `R`/`E` prefix + base64 + first byte
   * 0x12; true: the full protobuf tree). Only its Antigravity translator reads it; accepted and kept here.
   */
  "antigravity-signature-bypass-strict": configSchema.shape["antigravity-signature-bypass-strict"],
});

export type SignatureCacheOptions = z.output<typeof signatureCacheOptions>;
