/**
 * Just enough semver to check a plugin's `core` range against the running core: versions `x.y.z[-pre]`, and ranges
 * made of `||`-separated sets of space-separated comparators (`>=1.2.0 <2`, `^1.2`, `~1.2.3`, `1.x`, `*`, `1.2.3`).
 */
type Triple = [number, number, number];

interface Version {
  readonly parts: Triple;
  readonly pre: string;
}

const VERSION_RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Version | null {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return null;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? "" };
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = a.parts[i]! - b.parts[i]!;
    if (d !== 0) return d;
  }
  // A pre-release sorts before its release.
  if (a.pre === b.pre) return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  return a.pre < b.pre ? -1 : 1;
}

type Comparator = { op: "<" | "<=" | ">" | ">=" | "="; v: Version };

/** Parses a partial version (`1`, `1.2`, `1.x`, `*`) into its known numeric parts. */
function partial(text: string): { nums: number[]; pre: string } | null {
  const t = text.trim().replace(/^v/, "");
  if (t === "" || t === "*" || t === "x" || t === "X") return { nums: [], pre: "" };
  const [core, pre = ""] = t.split("-", 2) as [string, string?];
  const nums: number[] = [];
  for (const p of core.split(".")) {
    if (p === "x" || p === "X" || p === "*") break;
    if (!/^\d+$/.test(p)) return null;
    nums.push(Number(p));
  }
  if (nums.length > 3) return null;
  return { nums, pre };
}

function v(a: number, b: number, c: number, pre = ""): Version {
  return { parts: [a, b, c], pre };
}

function comparatorsFor(token: string): Comparator[] | null {
  const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(token)!;
  const op = m[1] ?? "";
  const p = partial(m[2]!);
  if (!p) return null;
  const [a = 0, b = 0, c = 0] = p.nums;
  const n = p.nums.length;
  if (op === "^") {
    if (n === 0) return [];
    const upper = a > 0 || n === 1 ? v(a + 1, 0, 0) : b > 0 || n === 2 ? v(0, b + 1, 0) : v(0, 0, c + 1);
    return [{ op: ">=", v: v(a, b, c, p.pre) }, { op: "<", v: upper }];
  }
  if (op === "~") {
    if (n === 0) return [];
    const upper = n === 1 ? v(a + 1, 0, 0) : v(a, b + 1, 0);
    return [{ op: ">=", v: v(a, b, c, p.pre) }, { op: "<", v: upper }];
  }
  if (op === "" || op === "=") {
    if (n === 0) return [];
    if (n === 3) return [{ op: "=", v: v(a, b, c, p.pre) }];
    const upper = n === 1 ? v(a + 1, 0, 0) : v(a, b + 1, 0);
    return [{ op: ">=", v: v(a, b, 0) }, { op: "<", v: upper }];
  }
  if (n === 0) return op === "<" ? [{ op: "<", v: v(0, 0, 0) }] : [];
  return [{ op: op as Comparator["op"], v: v(a, b, c, p.pre) }];
}

function test(version: Version, c: Comparator): boolean {
  const d = compare(version, c.v);
  switch (c.op) {
    case "<":
      return d < 0;
    case "<=":
      return d <= 0;
    case ">":
      return d > 0;
    case ">=":
      return d >= 0;
    case "=":
      return d === 0;
  }
}

/** True when `version` satisfies `range`. Throws a TypeError when either cannot be parsed. */
export function satisfies(version: string, range: string): boolean {
  const ver = parseVersion(version);
  if (!ver) throw new TypeError(`Cannot parse version: "${version}"`);
  const sets = range.split("||");
  for (const set of sets) {
    // `1.2.3 - 2.3.4` hyphen ranges are rare in plugin manifests; treat them explicitly.
    const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(set);
    const tokens = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : set.trim().split(/\s+/).filter(Boolean);
    let ok = true;
    for (const token of tokens) {
      const comps = comparatorsFor(token);
      if (!comps) throw new TypeError(`Cannot parse version range: "${range}"`);
      for (const c of comps) {
        if (!test(ver, c)) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    if (ok) return true;
  }
  return false;
}
