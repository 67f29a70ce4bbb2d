/**
 * CLIProxyAPI's model wildcards: exact, `prefix*`, `*suffix`, `*infix*`, compiled once per snapshot into a predicate.
 */
export type ModelPredicate = (model: string) => boolean;

const NEVER: ModelPredicate = () => false;

export function compileModelPatterns(patterns: readonly string[] | undefined): ModelPredicate {
  if (!patterns || patterns.length === 0) return NEVER;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const infixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    const starts = p.startsWith("*");
    const ends = p.endsWith("*");
    if (p === "*") return () => true;
    if (starts && ends) infixes.push(p.slice(1, -1));
    else if (ends) prefixes.push(p.slice(0, -1));
    else if (starts) suffixes.push(p.slice(1));
    else exact.add(p);
  }
  return (model) => {
    const m = model.toLowerCase();
    if (exact.has(m)) return true;
    for (const p of prefixes) if (m.startsWith(p)) return true;
    for (const s of suffixes) if (m.endsWith(s)) return true;
    for (const i of infixes) if (m.includes(i)) return true;
    return false;
  };
}
