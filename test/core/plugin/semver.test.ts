import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseVersion, satisfies } from "../../../core/plugin/semver.ts";

/** Asserts `satisfies(version, range)` for every version in `yes` and its negation for every one in `no`. */
function check(range: string, yes: readonly string[], no: readonly string[]): void {
  for (const v of yes) assert.equal(satisfies(v, range), true, `${v} should satisfy "${range}"`);
  for (const v of no) assert.equal(satisfies(v, range), false, `${v} should not satisfy "${range}"`);
}

describe("parseVersion()", () => {
  test("parses x.y.z with optional v, pre-release and build metadata", () => {
    assert.deepEqual(parseVersion("1.2.3"), { parts: [1, 2, 3], pre: "" });
    assert.deepEqual(parseVersion("v10.20.30"), { parts: [10, 20, 30], pre: "" });
    assert.deepEqual(parseVersion("1.2.3-beta.1+sha.abc"), { parts: [1, 2, 3], pre: "beta.1" });
    assert.deepEqual(parseVersion("1.2.3-beta-1"), { parts: [1, 2, 3], pre: "beta-1" });
  });

  test("returns null for anything that is not a full version", () => {
    for (const bad of ["", "1", "1.2", "1.2.x", "1.2.3.4", "one.two.three", "^1.2.3"]) {
      assert.equal(parseVersion(bad), null, bad);
    }
  });
});

describe("satisfies()", () => {
  test("caret ranges allow changes that keep the left-most non-zero part", () => {
    check("^1.2.3", ["1.2.3", "1.2.4", "1.9.0", "1.99.99"], ["1.2.2", "1.0.0", "2.0.0", "0.9.9"]);
    check("^1.2", ["1.2.0", "1.5.1"], ["1.1.9", "2.0.0"]);
    check("^1", ["1.0.0", "1.99.0"], ["0.9.0", "2.0.0"]);
    check("^0.2.3", ["0.2.3", "0.2.9"], ["0.2.2", "0.3.0", "1.0.0"]);
    check("^0.0.3", ["0.0.3"], ["0.0.2", "0.0.4", "0.1.0"]);
    check("^0.0", ["0.0.0", "0.0.9"], ["0.1.0"]);
    check("^0", ["0.0.0", "0.9.9"], ["1.0.0"]);
  });

  test("tilde ranges allow patch changes (minor ones when only the major is given)", () => {
    check("~1.2.3", ["1.2.3", "1.2.99"], ["1.2.2", "1.3.0", "2.0.0"]);
    check("~1.2", ["1.2.0", "1.2.7"], ["1.1.0", "1.3.0"]);
    check("~1", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0"]);
    check("~0.2.3", ["0.2.3", "0.2.4"], ["0.3.0"]);
  });

  test("x-ranges and * match every version in the wildcard position", () => {
    check("1.x", ["1.0.0", "1.99.3"], ["0.9.0", "2.0.0"]);
    check("1.2.x", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.9"]);
    check("1.X", ["1.4.0"], ["2.0.0"]);
    check("1.*", ["1.4.0"], ["2.0.0"]);
    check("1.2", ["1.2.0", "1.2.5"], ["1.3.0"]);
    check("1", ["1.0.0", "1.5.5"], ["2.0.0"]);
    check("*", ["0.0.0", "1.2.3", "99.0.0"], []);
    check("x", ["3.1.4"], []);
    check("", ["3.1.4"], []);
  });

  test("an exact version matches only itself (build metadata ignored)", () => {
    check("1.2.3", ["1.2.3", "v1.2.3", "1.2.3+build.7"], ["1.2.4", "1.2.2", "1.2.3-rc.1"]);
    check("=1.2.3", ["1.2.3"], ["1.2.4"]);
    check("v1.2.3", ["1.2.3"], ["1.2.4"]);
    check("1.2.3+build.1", ["1.2.3"], ["1.2.4"]);
  });

  test("primitive comparators with full versions", () => {
    check(">1.2.3", ["1.2.4", "2.0.0"], ["1.2.3", "1.0.0"]);
    check(">=1.2.3", ["1.2.3", "5.0.0"], ["1.2.2"]);
    check("<1.2.3", ["1.2.2", "0.1.0"], ["1.2.3", "1.3.0"]);
    check("<=1.2.3", ["1.2.3", "1.0.0"], ["1.2.4"]);
    check(">=1.2.3 <2.0.0", ["1.2.3", "1.99.0"], ["1.2.2", "2.0.0"]);
  });

  test("comparators with partial versions compare whole x-ranges", () => {
    check(">1.2", ["1.3.0", "2.0.0"], ["1.2.0", "1.2.9"]);
    check(">1", ["2.0.0"], ["1.0.0", "1.9.9"]);
    check(">=1.2", ["1.2.0", "1.3.0"], ["1.1.9"]);
    check("<1.2", ["1.1.9"], ["1.2.0", "1.2.5"]);
    check("<=1.2", ["1.2.0", "1.2.9"], ["1.3.0"]);
    check("<=1", ["1.9.9"], ["2.0.0"]);
    check(">=*", ["0.0.0", "9.9.9"], []);
    check("<*", [], ["0.0.0", "9.9.9"]);
    check(">*", [], ["0.0.0", "9.9.9"]);
  });

  test("whitespace between an operator and its version is allowed", () => {
    check(">= 1.2.3", ["1.2.3", "1.5.0"], ["1.2.2"]);
    check(">= 1.0.0 < 2.0.0", ["1.0.0", "1.5.0"], ["0.9.9", "2.0.0"]);
    check("^ 1.2", ["1.9.0"], ["2.0.0"]);
  });

  test("|| accepts a version that satisfies any of its sets", () => {
    check("^1.2.0 || ^3.0.0", ["1.2.0", "3.4.5"], ["2.0.0", "1.1.0", "4.0.0"]);
    check("1.2.3 || >=5", ["1.2.3", "5.0.0", "7.1.0"], ["1.2.4", "4.9.9"]);
    check("<1 || >2", ["0.5.0", "3.0.0"], ["1.0.0", "2.0.0", "2.9.9"]);
  });

  test("hyphen ranges include both ends; a partial upper end includes its whole x-range", () => {
    check("1.2.3 - 2.3.4", ["1.2.3", "2.0.0", "2.3.4"], ["1.2.2", "2.3.5"]);
    check("1.2 - 2.3", ["1.2.0", "2.3.0", "2.3.9"], ["1.1.9", "2.4.0"]);
    check("1 - 2", ["1.0.0", "2.9.9"], ["0.9.9", "3.0.0"]);
    check("1.0.0 - 1.0.5 || 3.x", ["1.0.3", "3.1.0"], ["1.0.6", "2.0.0"]);
  });

  test("pre-releases sort below their release and by identifier, numerically where numeric", () => {
    check(">=1.0.0-alpha", ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0"], []);
    check(">1.0.0-beta.2", ["1.0.0-beta.10", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"], ["1.0.0-beta.2", "1.0.0-beta.1"]);
    check(">1.0.0-alpha", ["1.0.0-alpha.1", "1.0.0-alpha.beta"], ["1.0.0-alpha"]);
    check(">1.0.0-1", ["1.0.0-2", "1.0.0-10", "1.0.0-alpha"], ["1.0.0-0"]);
    check("<1.0.0-rc.1 || >1.0.0-rc.1", ["1.0.0-beta.9", "1.0.0-rc.2"], ["1.0.0-rc.1"]);
    check("1.2.3-beta-1", ["1.2.3-beta-1"], ["1.2.3-beta-2", "1.2.3-beta", "1.2.3"]);
  });

  test("a pre-release matches only ranges that name a pre-release of the same x.y.z", () => {
    // The next major's pre-release must not pass for the current major: `^1` plugins must not load on core 2.0.0-rc.1.
    check("^1.0.0", ["1.5.0"], ["2.0.0-rc.1", "1.5.0-beta.1", "1.0.0-rc.1"]);
    check("<2.0.0", ["1.9.9"], ["2.0.0-rc.1"]);
    check("*", ["1.0.0"], ["1.0.0-rc.1"]);
    check(">=1.2.3", ["1.2.4"], ["1.2.4-beta"]);
    check("^1.2.3-beta.2", ["1.2.3-beta.2", "1.2.3-beta.10", "1.2.3-rc.0", "1.2.3", "1.9.0"], [
      "1.2.3-beta.1",
      "1.3.0-alpha",
      "2.0.0",
    ]);
    check("~1.2.3-rc.1", ["1.2.3-rc.1", "1.2.3-rc.2", "1.2.3", "1.2.9"], ["1.2.4-rc.1", "1.3.0"]);
    check("^1.0.0 || 2.0.0-rc.1", ["2.0.0-rc.1"], ["2.0.0-rc.2"]);
  });

  test("throws a TypeError naming the version it cannot parse", () => {
    for (const bad of ["1.2", "latest", "", "1.2.3.4", "x.y.z"]) {
      assert.throws(() => satisfies(bad, "^1.0.0"), (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /^Cannot parse version: /);
        assert.ok(err.message.includes(`"${bad}"`), err.message);
        return true;
      });
    }
  });

  test("throws a TypeError naming the range it cannot parse", () => {
    for (const bad of ["latest", "^abc", "1.2.3.4", ">=1.0.0 banana", "^1.0.0 || next", "1.a.0"]) {
      assert.throws(() => satisfies("1.0.0", bad), (err: unknown) => {
        assert.ok(err instanceof TypeError, `${bad}: ${String(err)}`);
        assert.match(err.message, /^Cannot parse version range: /);
        assert.ok(err.message.includes(`"${bad}"`), err.message);
        return true;
      });
    }
  });
});
