/**
 * One Switchyard in front of the four fake upstream formats, as the translation tests use it: each upstream is
 * reached through its own config entry (`openai-compatibility`, `claude-api-key`, `gemini-api-key`,
 * `codex-api-key`) under the alias `via-<format>`.
 */
import { type FakeProvider, startFakeProvider, type UpstreamFormat } from "../helpers/fake-providers.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../helpers/switchyard.ts";
import { CLIENT_KEY, type ClientFormat } from "./translation-clients.ts";

export const UPSTREAMS: readonly UpstreamFormat[] = ["openai", "claude", "gemini", "codex"];

/** The model name each upstream is configured with (what it must receive). */
export const UPSTREAM_MODEL: Readonly<Record<UpstreamFormat, string>> = {
  openai: "oa-upstream-1",
  claude: "claude-upstream-1",
  gemini: "gemini-3-upstream",
  codex: "codex-upstream-1",
};

/** The upstream format a client format passes through to untranslated. */
export const SAME_FORMAT: Readonly<Record<ClientFormat, UpstreamFormat>> = {
  "openai-chat": "openai",
  "openai-responses": "codex",
  claude: "claude",
  gemini: "gemini",
};

export const via = (u: UpstreamFormat) => `via-${u}`;

export interface TranslationRig {
  readonly sy: TestSwitchyard;
  readonly up: Readonly<Record<UpstreamFormat, FakeProvider>>;
  stop(): Promise<void>;
}

export async function startRig(extraYaml = ""): Promise<TranslationRig> {
  const entries = await Promise.all(UPSTREAMS.map(async (u) => [u, await startFakeProvider(u)] as const));
  const up = Object.fromEntries(entries) as Record<UpstreamFormat, FakeProvider>;
  // Cooling is off: the error tests answer 429/5xx on purpose and must not block the next request.
  const sy = await startTestSwitchyard(`
api-keys: ["${CLIENT_KEY}"]
disable-cooling: true
request-retry: 0
${extraYaml}
openai-compatibility:
  - name: fake-openai
    base-url: "${up.openai.url}/v1"
    api-key-entries: [{api-key: "sk-oa-upstream"}]
    models: [{name: ${UPSTREAM_MODEL.openai}, alias: ${via("openai")}}]
claude-api-key:
  - api-key: "sk-ant-upstream"
    base-url: "${up.claude.url}"
    models: [{name: ${UPSTREAM_MODEL.claude}, alias: ${via("claude")}}]
gemini-api-key:
  - api-key: "AIza-upstream"
    base-url: "${up.gemini.url}"
    models: [{name: ${UPSTREAM_MODEL.gemini}, alias: ${via("gemini")}}]
codex-api-key:
  - api-key: "sk-codex-upstream"
    base-url: "${up.codex.url}/backend-api/codex"
    models: [{name: ${UPSTREAM_MODEL.codex}, alias: ${via("codex")}}]
`);
  return {
    sy,
    up,
    async stop() {
      await sy.stop();
      await Promise.all(Object.values(up).map((f) => f.close()));
    },
  };
}
