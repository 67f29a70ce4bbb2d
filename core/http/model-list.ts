/** Model lists in the three client shapes (behaviour.md §1.6). */
import type { ListedModel } from "../routing/model-table.ts";

export function openAIModel(m: ListedModel) {
  return { id: m.id, object: "model", created: m.created, owned_by: m.ownedBy };
}

export function openAIModelList(models: readonly ListedModel[]) {
  return { object: "list", data: models.map(openAIModel) };
}

/**
 * Claude Code's model picker only offers ids that start with `claude-`. CLIProxyAPI therefore lists other models as
 * `claude-fable-5-dd-<reversed id>` (unless `claude-code.disable-cloaking-model-list`) and decodes such ids on
 * `/v1/messages`, keeping a thinking suffix (behaviour.md §1.6, vector 3).
 */
const CLOAK_PREFIX = "claude-fable-5-dd-";

function reverse(s: string): string {
  return [...s].reverse().join("");
}

export function cloakModelId(id: string): string {
  return id.startsWith("claude-") ? id : CLOAK_PREFIX + reverse(id);
}

/** The real model id of a cloaked one (`claude-fable-5-dd-5-tpg(high)` → `gpt-5(high)`); other ids unchanged. */
export function uncloakModelId(id: string): string {
  if (!id.startsWith(CLOAK_PREFIX)) return id;
  const rest = id.slice(CLOAK_PREFIX.length);
  const paren = rest.indexOf("(");
  return paren === -1 ? reverse(rest) : reverse(rest.slice(0, paren)) + rest.slice(paren);
}

/** Claude shape, sorted by display name as CLIProxyAPI does. */
export function claudeModelList(models: readonly ListedModel[], cloak = true) {
  const data = models
    .map((m) => ({
      id: cloak ? cloakModelId(m.id) : m.id,
      type: "model",
      display_name: m.displayName,
      created_at: new Date(m.created * 1000).toISOString(),
    }))
    .sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

export function geminiModel(m: ListedModel) {
  return {
    name: `models/${m.id}`,
    displayName: m.displayName,
    supportedGenerationMethods: ["generateContent"],
  };
}

export function geminiModelList(models: readonly ListedModel[]) {
  return { models: models.map(geminiModel) };
}
