/**
 * Model groups: signatures are shared by every model of a family, because a family's upstreams accept each other's
 * signatures. Checked in CLIProxyAPI's order (`GetModelGroup`), case as given: `claude-gpt-x` is `gpt`.
 */

export function modelGroup(model: string): string {
  if (model.includes("gpt")) return "gpt";
  if (model.includes("claude")) return "claude";
  if (model.includes("gemini")) return "gemini";
  return model;
}
