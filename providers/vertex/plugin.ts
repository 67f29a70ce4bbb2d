/** The `vertex` provider plugin: serves CLIProxyAPI's `vertex-api-key` entries (API-key mode). */
import { z } from "zod";
import { type ApiKeyEntry, configSchema } from "../../core/config/schema.ts";
import { definePlugin } from "../../core/plugin/define.ts";
import { GEMINI_MODELS } from "../gemini/models.ts";
import { credentialsFromKeyEntries } from "../shared/key-entries.ts";
import { VERTEX_BASE, VERTEX_PROVIDER, vertexAdapter } from "./adapter.ts";

export default definePlugin<{ "vertex-api-key": readonly ApiKeyEntry[] }>({
  name: "vertex",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["vertex-api-key"],
  configSchema: z.object({ "vertex-api-key": configSchema.shape["vertex-api-key"] }),
  setup(ctx) {
    ctx.registerProvider(
      vertexAdapter,
      credentialsFromKeyEntries(VERTEX_PROVIDER, ctx.options["vertex-api-key"], {
        defaultBaseUrl: VERTEX_BASE,
        catalogue: GEMINI_MODELS,
      }),
    );
  },
});
