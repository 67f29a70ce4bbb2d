/**
 * Claude subscription accounts from the auth directory (`type: claude`, CLIProxyAPI's `claude-<email>.json`): served
 * with their OAuth access token, refreshed 4 h before expiry through Anthropic's token endpoint (behaviour.md §5.2).
 */
import type { AuthRecord } from "../../core/credentials/auth-record.ts";
import type { Credential, CredentialTypeHandler } from "../../core/plugin/types.ts";
import { baseUrlOf, refreshTokenGrant } from "../shared/oauth-refresh.ts";
import type { KeyCredentialData } from "../shared/key-entries.ts";
import { ANTHROPIC_BASE, CLAUDE_PROVIDER, claudeAdapter } from "./adapter.ts";
import { CLAUDE_MODELS } from "./models.ts";

const TOKEN_URL = "https://platform.claude.com/v1/oauth/token";
const CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
const LEAD_MS = 4 * 60 * 60 * 1000;

export function claudeFromRecord(record: AuthRecord): Credential<KeyCredentialData> | null {
  const token = record.raw.access_token;
  if (typeof token !== "string" || token === "") return null;
  return {
    id: record.id,
    provider: CLAUDE_PROVIDER,
    label: `claude ${record.label}`,
    priority: 0,
    weight: 1,
    models: CLAUDE_MODELS,
    data: {
      // A `base_url` in the file points the account at a relay (as xAI files can); the default is Anthropic.
      baseUrl: baseUrlOf(record, ANTHROPIC_BASE),
      apiKey: token,
      headers: Object.entries(record.headers ?? {}),
      copiedHeaders: [],
      proxyUrl: record.proxyUrl ?? "",
      oauth: true,
    },
  };
}

export const claudeCredentialType: CredentialTypeHandler<KeyCredentialData> = {
  adapter: claudeAdapter,
  fromRecord: claudeFromRecord,
  refresh: refreshTokenGrant({ leadMs: LEAD_MS, url: TOKEN_URL, encoding: "json", clientId: CLIENT_ID }),
};
