/** Key derivation: the first 16 hex characters of SHA-256(thinking text). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex, signatureKey } from "../../../plugins/signature-cache/mod.ts";

const reference = (text: string) => createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);

describe("signatureKey", () => {
  test("known digests", () => {
    assert.equal(signatureKey(""), "e3b0c44298fc1c14");
    assert.equal(signatureKey("abc"), "ba7816bf8f01cfea");
    assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("16 lower-case hex characters, equal to createHash for ASCII, multi-byte text and block-boundary lengths", () => {
    for (const ch of ["a", "é", "日", "😀"]) {
      for (const n of [1, 31, 55, 56, 63, 64, 65, 119, 120, 1000]) {
        const text = ch.repeat(n);
        const key = signatureKey(text);
        assert.match(key, /^[0-9a-f]{16}$/);
        assert.equal(key, reference(text), `${JSON.stringify(ch)} × ${n}`);
      }
    }
  });

  test("different texts, different keys; the same text, the same key", () => {
    assert.notEqual(signatureKey("thinking A"), signatureKey("thinking B"));
    assert.equal(signatureKey("thinking A"), signatureKey(["thinking", "A"].join(" ")));
  });
});
