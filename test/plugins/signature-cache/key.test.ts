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

  test("equal to createHash on random text: every UTF-16 range, surrogate pairs, lone surrogates as U+FFFD", () => {
    // A seeded generator (xorshift32), so a failure replays.
    let seed = 0x9e3779b9;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const unit = (): string => {
      switch (rnd(8)) {
        case 0:
        case 1:
        case 2:
          return String.fromCharCode(rnd(0x80)); // ASCII, controls and NUL included
        case 3:
          return String.fromCharCode(0x80 + rnd(0x780)); // 2 bytes
        case 4:
          return String.fromCharCode(0x800 + rnd(0xd000)); // 3 bytes, below the surrogates
        case 5:
          return String.fromCodePoint(0x10000 + rnd(0x100000)); // a surrogate pair, 4 bytes
        case 6:
          return String.fromCharCode(0xd800 + rnd(0x800)); // a lone high or low surrogate (or, by chance, a pair)
        default:
          return String.fromCharCode(0xe000 + rnd(0x2000)); // 3 bytes, above the surrogates
      }
    };
    const encoder = new TextEncoder();
    for (let i = 0; i < 3000; i++) {
      let text = "";
      for (let n = rnd(301); n > 0; n--) text += unit();
      const key = signatureKey(text);
      assert.equal(key, reference(text), JSON.stringify(text));
      assert.equal(key, createHash("sha256").update(encoder.encode(text)).digest("hex").slice(0, 16));
    }
    for (const lone of ["\ud800", "\udbff", "\udc00", "\udfff", "a\ud800", "\udc00\ud800", "\ud83d\ud83d\ude00"]) {
      assert.equal(
        signatureKey(lone),
        reference(lone.replace(/[\ud800-\udfff]/g, (c, at: number, s: string) => {
          const code = c.charCodeAt(0);
          const next = s.charCodeAt(at + 1);
          const prev = s.charCodeAt(at - 1);
          const paired = (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) ||
            (code >= 0xdc00 && prev >= 0xd800 && prev <= 0xdbff);
          return paired ? c : "\ufffd";
        })),
        JSON.stringify(lone),
      );
    }
    for (let i = 0; i < 4; i++) {
      let text = "";
      while (text.length < 100_000) text += unit();
      assert.equal(sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), `100 KB text ${i}`);
    }
  });

  test("different texts, different keys; the same text, the same key", () => {
    assert.notEqual(signatureKey("thinking A"), signatureKey("thinking B"));
    assert.equal(signatureKey("thinking A"), signatureKey(["thinking", "A"].join(" ")));
  });
});
