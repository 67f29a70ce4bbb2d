/** Model lists in the three client shapes (behaviour.md §1.6). */
import type { ListedModel } from "../routing/model-table.ts";

export function openAIModel(m: ListedModel) {
  return { id: m.id, object: "model", created: m.created, owned_by: m.ownedBy };
}

export function openAIModelList(models: readonly ListedModel[]) {
  return { object: "list", data: models.map(openAIModel) };
}

/** Claude shape, sorted by display name as CLIProxyAPI does. */
export function claudeModelList(models: readonly ListedModel[]) {
  const data = models
    .map((m) => ({
      id: m.id,
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
