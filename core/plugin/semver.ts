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
  return comparePre(a.pre, b.pre);
}

/** Semver §11: dot-separated identifiers, numeric ones compared as numbers and below alphanumeric ones. */
function comparePre(a: string, b: string): number {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < x.length && i < y.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

type Comparator = { op: "<" | "<=" | ">" | ">=" | "="; v: Version };

/** Parses a partial version (`1`, `1.2`, `1.x`, `*`) into its known numeric parts. */
function partial(text: string): { nums: number[]; pre: string } | null {
  const t = text.trim().replace(/^v/, "");
  if (t === "" || t === "*" || t === "x" || t === "X") return { nums: [], pre: "" };
  // Build metadata never affects matching; the pre-release is everything after the first `-` (it may contain `-`).
  const plus = t.indexOf("+");
  const bare = plus === -1 ? t : t.slice(0, plus);
  const dash = bare.indexOf("-");
  const core = dash === -1 ? bare : bare.slice(0, dash);
  const pre = dash === -1 ? "" : bare.slice(dash + 1);
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
  // `<*` and `>*` match nothing; `<=*` and `>=*` match everything.
  if (n === 0) return op === "<" || op === ">" ? [{ op: "<", v: v(0, 0, 0) }] : [];
  if (n < 3 && (op === ">" || op === "<=")) {
    // A partial version stands for its whole x-range: `>1.2` is `>=1.3.0`, `<=1.2` is `<1.3.0`.
    const next = n === 1 ? v(a + 1, 0, 0) : v(a, b + 1, 0);
    return [{ op: op === ">" ? ">=" : "<", v: next }];
  }
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

/** Parses a range into its `||`-separated sets of comparators; null when any part cannot be parsed. */
function parseRange(range: string): Comparator[][] | null {
  const sets: Comparator[][] = [];
  for (const set of range.split("||")) {
    // `1.2.3 - 2.3.4` hyphen ranges are rare in plugin manifests; treat them explicitly.
    const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(set);
    // `>= 1.2.3` is one comparator: glue an operator to the version after it.
    const tokens = hyphen
      ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`]
      : set.replace(/(\^|~|>=|<=|>|<|=)\s+/g, "$1").trim().split(/\s+/).filter(Boolean);
    const comps: Comparator[] = [];
    for (const token of tokens) {
      const c = comparatorsFor(token);
      if (!c) return null;
      comps.push(...c);
    }
    sets.push(comps);
  }
  return sets;
}

/**
 * True when `version` satisfies `range`. Throws a TypeError when either cannot be parsed.
 *
 * As in npm, a pre-release version only satisfies a set that names a pre-release of the same `x.y.z`: `2.0.0-rc.1`
 * does not satisfy `^1.0.0` or `<2.0.0`.
 */
export function satisfies(version: string, range: string): boolean {
  const ver = parseVersion(version);
  if (!ver) throw new TypeError(`Cannot parse version: "${version}"`);
  // Parse every set first, so a bad range throws whatever the version.
  const sets = parseRange(range);
  if (!sets) throw new TypeError(`Cannot parse version range: "${range}"`);
  for (const comps of sets) {
    if (!comps.every((c) => test(ver, c))) continue;
    if (ver.pre === "" || comps.some((c) => c.v.pre !== "" && sameTriple(c.v, ver))) return true;
  }
  return false;
}

function sameTriple(a: Version, b: Version): boolean {
  return a.parts[0] === b.parts[0] && a.parts[1] === b.parts[1] && a.parts[2] === b.parts[2];
}
