import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isForcedError } from "../../../plugins/request-logger/policy.ts";

describe("request-logger forced-log decision (vector 15)", () => {
  test("200 and 499 → none; 400 and 5xx → log", () => {
    assert.equal(isForcedError(200, null, false), false);
    assert.equal(isForcedError(499, null, false), false);
    assert.equal(isForcedError(400, null, false), true);
    assert.equal(isForcedError(502, null, false), true);
  });

  test("200 with an upstream error (mid-stream) → log; a 499 error (client left) → none", () => {
    assert.equal(isForcedError(200, { status: 502 }, false), true);
    assert.equal(isForcedError(499, { status: 499 }, true), false);
  });

  test("a cancelled request below 400 → none; at or above 400 → log", () => {
    assert.equal(isForcedError(200, null, true), false);
    assert.equal(isForcedError(500, null, true), true);
  });
});
