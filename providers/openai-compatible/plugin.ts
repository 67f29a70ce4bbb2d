/** The `openai-compatible` provider plugin: serves CLIProxyAPI's `openai-compatibility` entries. */
import { definePlugin } from "../../core/plugin/define.ts";
import type { OpenAICompatibilityEntry } from "../../core/config/schema.ts";
import { openAICompatibleAdapter } from "./adapter.ts";
import { credentialsFromEntries } from "./credentials.ts";
import { openAICompatibleOptions } from "./options.ts";

export default definePlugin<{ "openai-compatibility": readonly OpenAICompatibilityEntry[] }>({
  name: "openai-compatible",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["openai-compatibility"],
  configSchema: openAICompatibleOptions,
  setup(ctx) {
    const credentials = credentialsFromEntries(ctx.options["openai-compatibility"]);
    ctx.registerProvider(openAICompatibleAdapter, credentials);
    ctx.log.debug(`${credentials.length} credential(s) registered`);
  },
});
