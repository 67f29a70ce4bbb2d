/** The `codex` and `xai` provider plugins: CLIProxyAPI's `codex-api-key` and `xai-api-key` entries. */
import { z } from "zod";
import { type CodexKeyEntry, configSchema } from "../../core/config/schema.ts";
import { definePlugin } from "../../core/plugin/define.ts";
import { credentialsFromKeyEntries } from "../shared/key-entries.ts";
import { CODEX_PROVIDER, codexAdapter, XAI_BASE, XAI_PROVIDER, xaiAdapter } from "./adapter.ts";
import { CODEX_MODELS, XAI_MODELS } from "./models.ts";
import { codexCredentialType } from "./oauth.ts";

export const codexPlugin = definePlugin<{ "codex-api-key": readonly CodexKeyEntry[] }>({
  name: "codex",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["codex-api-key"],
  // Serves `type: codex` auth files too, which need no config key.
  enabledByDefault: true,
  configSchema: z.object({ "codex-api-key": configSchema.shape["codex-api-key"] }),
  setup(ctx) {
    // Entries without base-url are dropped by the config schema, as CLIProxyAPI does.
    ctx.registerProvider(
      codexAdapter,
      credentialsFromKeyEntries(CODEX_PROVIDER, ctx.options["codex-api-key"], {
        defaultBaseUrl: "",
        catalogue: CODEX_MODELS,
      }),
    );
    ctx.registerCredentialType("codex", codexCredentialType);
  },
});

export const xaiPlugin = definePlugin<{ "xai-api-key": readonly CodexKeyEntry[] }>({
  name: "xai",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["xai-api-key"],
  configSchema: z.object({ "xai-api-key": configSchema.shape["xai-api-key"] }),
  setup(ctx) {
    ctx.registerProvider(
      xaiAdapter,
      credentialsFromKeyEntries(XAI_PROVIDER, ctx.options["xai-api-key"], {
        defaultBaseUrl: XAI_BASE,
        catalogue: XAI_MODELS,
      }),
    );
  },
});
