/**
 * The `signature-cache` plugin: thinking signatures survive translation across formats (modules.md §2).
 *
 * A client of another format cannot hand an upstream its own thinking signature back: a Claude client turns a Gemini
 * `thoughtSignature` into a Claude `signature` (which Gemini rejects, so the codec drops that thinking), an OpenAI chat
 * client loses it. The plugin remembers each signature an upstream produced, keyed by the upstream model's group and
 * the thinking text, and restores it on the next turn:
 * - `transformEvents` (translated streams) and `transformResponse` (translated JSON answers) store what the upstream
 *   signed, labelled with the format the attempt spoke;
 * - `transformRequest` gives thinking with a foreign or missing signature the cached one when the entry came from an
 *   upstream of the target's format, and leaves it for the renderer to drop otherwise.
 *
 * The cache lives as long as the plugin instance: `onConfigChange` takes the new options in place, so a reload keeps
 * every entry; `antigravity-signature-cache-enabled: false` makes every hook a no-op.
 */
import { definePlugin } from "../../core/plugin/define.ts";
import type { PluginDefinition, PluginHooks } from "../../core/plugin/types.ts";
import { SignatureCache, type SignatureCacheSettings } from "./cache.ts";
import { SIGNATURE_CACHE_KEYS, type SignatureCacheOptions, signatureCacheOptions } from "./options.ts";
import { recordResponse, StreamSignatureRecorder } from "./record.ts";
import { restoreSignatures } from "./restore.ts";
import { signsThinking } from "./upstream-format.ts";

export const PLUGIN_NAME = "signature-cache";

/** Seams for tests and embedding. */
export interface SignatureCachePluginDeps {
  /** Settings of the cache the plugin creates (clock, bounds, timers). */
  readonly cache?: SignatureCacheSettings;
}

/** What the plugin exposes beside its hooks (found through the snapshot's plugin instance). */
export interface SignatureCacheHandle {
  readonly cache: SignatureCache;
  /** The current options. */
  readonly options: SignatureCacheOptions;
  readonly enabled: boolean;
}

export interface SignatureCacheHooks extends PluginHooks<SignatureCacheOptions> {
  readonly signatureCache: SignatureCacheHandle;
}

export function createSignatureCachePlugin(
  deps: SignatureCachePluginDeps = {},
): PluginDefinition<SignatureCacheOptions> {
  return definePlugin<SignatureCacheOptions>({
    name: PLUGIN_NAME,
    version: "1.0.0",
    core: "^1.0.0",
    configKeys: SIGNATURE_CACHE_KEYS,
    // On unless `antigravity-signature-cache-enabled: false` (CLIProxyAPI's default is on).
    enabledByDefault: true,
    configSchema: signatureCacheOptions,
    setup(ctx) {
      let options = ctx.options;
      let enabled = options["antigravity-signature-cache-enabled"];
      const cache = new SignatureCache(deps.cache);

      const hooks: SignatureCacheHooks = {
        signatureCache: {
          cache,
          get options() {
            return options;
          },
          get enabled() {
            return enabled;
          },
        },
        transformRequest(ir, target, rc) {
          if (!enabled) return;
          return restoreSignatures(ir, cache, target.upstreamModel, rc.upstreamFormat ?? undefined);
        },
        transformEvents(rc) {
          const target = rc.target;
          if (!enabled || target === null) return null;
          const format = rc.upstreamFormat ?? undefined;
          // An upstream format without signatures costs its streams nothing per event.
          if (!signsThinking(format)) return null;
          return new StreamSignatureRecorder(cache, target.upstreamModel, format).observe;
        },
        transformResponse(ir, rc) {
          const target = rc.target;
          if (!enabled || target === null) return;
          const format = rc.upstreamFormat ?? undefined;
          if (signsThinking(format)) recordResponse(ir, cache, target.upstreamModel, format);
        },
        onConfigChange(next) {
          options = next;
          enabled = next["antigravity-signature-cache-enabled"];
        },
        dispose() {
          cache.dispose();
        },
      };
      return hooks;
    },
  });
}

/** The built-in. */
export default createSignatureCachePlugin();
