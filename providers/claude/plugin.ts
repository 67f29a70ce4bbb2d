/**
 * The `claude` provider plugin: CLIProxyAPI's `claude-api-key` entries, and `type: claude` auth files (subscription
 * accounts). On by default so auth files are served without any config key.
 */
import { z } from "zod";
import { configSchema, type ClaudeKeyEntry } from "../../core/config/schema.ts";
import { definePlugin } from "../../core/plugin/define.ts";
import { credentialsFromKeyEntries } from "../shared/key-entries.ts";
import { ANTHROPIC_BASE, CLAUDE_PROVIDER, claudeAdapter } from "./adapter.ts";
import { CLAUDE_MODELS } from "./models.ts";
import { claudeCredentialType } from "./oauth.ts";

export default definePlugin<{ "claude-api-key": readonly ClaudeKeyEntry[] }>({
  name: "claude",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["claude-api-key"],
  enabledByDefault: true,
  configSchema: z.object({ "claude-api-key": configSchema.shape["claude-api-key"] }),
  setup(ctx) {
    const credentials = credentialsFromKeyEntries(CLAUDE_PROVIDER, ctx.options["claude-api-key"], {
      defaultBaseUrl: ANTHROPIC_BASE,
      catalogue: CLAUDE_MODELS,
    });
    ctx.registerProvider(claudeAdapter, credentials);
    ctx.registerCredentialType("claude", claudeCredentialType);
  },
});
