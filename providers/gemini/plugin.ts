/** The `gemini` provider plugin: serves CLIProxyAPI's `gemini-api-key` entries (Google AI Studio keys). */
import { z } from "zod";
import { type ApiKeyEntry, configSchema } from "../../core/config/schema.ts";
import { definePlugin } from "../../core/plugin/define.ts";
import { credentialsFromKeyEntries } from "../shared/key-entries.ts";
import { GEMINI_BASE, GEMINI_PROVIDER, geminiAdapter } from "./adapter.ts";
import { GEMINI_MODELS } from "./models.ts";

export default definePlugin<{ "gemini-api-key": readonly ApiKeyEntry[] }>({
  name: "gemini",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["gemini-api-key"],
  configSchema: z.object({ "gemini-api-key": configSchema.shape["gemini-api-key"] }),
  setup(ctx) {
    ctx.registerProvider(
      geminiAdapter,
      credentialsFromKeyEntries(GEMINI_PROVIDER, ctx.options["gemini-api-key"], {
        defaultBaseUrl: GEMINI_BASE,
        catalogue: GEMINI_MODELS,
      }),
    );
  },
});
