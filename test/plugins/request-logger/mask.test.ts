import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  hideSecret,
  isSensitiveHeader,
  maskAuthorization,
  maskHeaderValue,
  maskQuery,
  maskUrl,
} from "../../../plugins/request-logger/mask.ts";

describe("request-logger masking", () => {
  test("4+4 above 8 chars, 2+2 above 4, 1+1 above 2, starred below (vector 16)", () => {
    assert.equal(hideSecret("sk-1234567890abcd"), "sk-1...abcd");
    assert.equal(hideSecret("abcdefghi"), "abcd...fghi");
    assert.equal(hideSecret("abcdefgh"), "ab...gh");
    assert.equal(hideSecret("abcde"), "ab...de");
    assert.equal(hideSecret("abcd"), "a...d");
    assert.equal(hideSecret("abc"), "a...c");
    assert.equal(hideSecret("ab"), "**");
    assert.equal(hideSecret(""), "");
  });

  test("Authorization keeps its scheme", () => {
    assert.equal(maskAuthorization("Bearer abcdefghijkl"), "Bearer abcd...ijkl");
    assert.equal(maskAuthorization("Basic dXNlcjpwYXNzd29yZA=="), "Basic dXNl...ZA==");
    assert.equal(maskAuthorization("rawtokenvalue123"), "rawt...e123");
  });

  test("header names: authorization, *api-key*, apikey, token, secret; others untouched", () => {
    assert.equal(maskHeaderValue("Authorization", "Bearer abcdefghijkl"), "Bearer abcd...ijkl");
    assert.equal(maskHeaderValue("proxy-authorization", "Basic abcdefghijkl"), "Basic abcd...ijkl");
    assert.equal(maskHeaderValue("x-api-key", "sk-ant-0123456789"), "sk-a...6789");
    assert.equal(maskHeaderValue("X-Goog-Api-Key", "AIzaSyABCDEFGH"), "AIza...EFGH");
    assert.equal(maskHeaderValue("apikey", "0123456789"), "0123...6789");
    assert.equal(maskHeaderValue("x-auth-token", "tok-0123456789"), "tok-...6789");
    assert.equal(maskHeaderValue("client-secret", "s3cr3t-value"), "s3cr...alue");
    assert.equal(maskHeaderValue("content-type", "application/json"), "application/json");
    assert.ok(isSensitiveHeader("cookie"));
    assert.equal(maskHeaderValue("Cookie", "session=abcdefghijk"), "sess...hijk");
  });

  test("query keys key / api-key / apikey / api_key / token / secret are masked, others kept byte for byte", () => {
    assert.equal(maskQuery("key=AIzaSyABCDEFGHIJ&alt=sse"), "key=AIza...GHIJ&alt=sse");
    assert.equal(maskQuery("x=1&y=a%20b"), "x=1&y=a%20b");
    assert.equal(
      maskQuery("api_key=0123456789&access_token=abcdefghij"),
      "api_key=0123...6789&access_token=abcd...ghij",
    );
    assert.equal(
      maskQuery("client_secret=abcdefghij&X-Api-Key=0123456789"),
      "client_secret=abcd...ghij&X-Api-Key=0123...6789",
    );
    assert.equal(maskQuery("key[]=abcdefghij"), "key[]=abcd...ghij");
    assert.equal(maskQuery("monkey=abcdefghij"), "monkey=abcdefghij");
    assert.equal(maskQuery(""), "");
  });

  test("maskUrl masks only the query", () => {
    assert.equal(
      maskUrl("/v1beta/models/g:generateContent?key=AIzaSyABCDEFGHIJ"),
      "/v1beta/models/g:generateContent?key=AIza...GHIJ",
    );
    assert.equal(maskUrl("https://h/p?token=abcdefghijk#frag"), "https://h/p?token=abcd...hijk#frag");
    assert.equal(maskUrl("/v1/chat/completions"), "/v1/chat/completions");
  });
});
