/**
 * ChatGPT (Codex) accounts from the auth directory (`type: codex`): the Codex backend with the account's OAuth token
 * and `Chatgpt-Account-Id`, refreshed 5 days before expiry through OpenAI's token endpoint (behaviour.md §5.2, §5.4).
 */
import type { AuthRecord } from "../../core/credentials/auth-record.ts";
import type { Credential, CredentialTypeHandler } from "../../core/plugin/types.ts";
import { baseUrlOf, refreshTokenGrant } from "../shared/oauth-refresh.ts";
import type { KeyCredentialData } from "../shared/key-entries.ts";
import { CODEX_PROVIDER, codexAdapter } from "./adapter.ts";
import { CODEX_MODELS } from "./models.ts";

export const CODEX_BACKEND = "https://chatgpt.com/backend-api/codex";
const TOKEN_URL = "https://auth.openai.com/oauth/token";
const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
const LEAD_MS = 5 * 24 * 60 * 60 * 1000;

/** The ChatGPT account id: the file's `account_id`, else the id token's `https://api.openai.com/auth` claim. */
function accountId(record: AuthRecord): string | undefined {
  if (typeof record.raw.account_id === "string" && record.raw.account_id) return record.raw.account_id;
  const idToken = record.raw.id_token;
  if (typeof idToken !== "string") return undefined;
  try {
    const payload = idToken.split(".")[1] ?? "";
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const auth = json["https://api.openai.com/auth"] as { chatgpt_account_id?: unknown } | undefined;
    return typeof auth?.chatgpt_account_id === "string" ? auth.chatgpt_account_id : undefined;
  } catch {
    return undefined;
  }
}

export function codexFromRecord(record: AuthRecord): Credential<KeyCredentialData> | null {
  const token = record.raw.access_token;
  if (typeof token !== "string" || token === "") return null;
  const headers: [string, string][] = [["originator", "codex_cli_rs"], ...Object.entries(record.headers ?? {})];
  const account = accountId(record);
  if (account) headers.push(["chatgpt-account-id", account]);
  return {
    id: record.id,
    provider: CODEX_PROVIDER,
    label: `codex ${record.label}`,
    priority: 0,
    weight: 1,
    models: CODEX_MODELS,
    data: {
      baseUrl: baseUrlOf(record, CODEX_BACKEND),
      apiKey: token,
      headers,
      copiedHeaders: [],
      proxyUrl: record.proxyUrl ?? "",
      oauth: true,
    },
  };
}

export const codexCredentialType: CredentialTypeHandler<KeyCredentialData> = {
  adapter: codexAdapter,
  fromRecord: codexFromRecord,
  refresh: refreshTokenGrant({
    leadMs: LEAD_MS,
    url: TOKEN_URL,
    encoding: "form",
    clientId: CLIENT_ID,
    extra: { scope: "openid profile email" },
  }),
};
