import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  fileTimestamp,
  isErrorLogFileName,
  isLogFileName,
  logFileName,
  sanitizePath,
} from "../../../plugins/request-logger/naming.ts";

/** Epoch ms of a local wall-clock time (file names use local time, as CLIProxyAPI's do). */
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();

describe("request-logger file names", () => {
  test("vector 14: POST /v1/chat/completions?x=1, id a1b2c3d4, forced → error-v1-chat-completions-<ts>-a1b2c3d4.log", () => {
    const ts = local(2026, 11, 25, 22, 1, 5);
    assert.equal(
      logFileName("/v1/chat/completions?x=1", ts, "a1b2c3d4", true),
      "error-v1-chat-completions-2026-11-25T220105-a1b2c3d4.log",
    );
    assert.equal(
      logFileName("/v1/chat/completions?x=1", ts, "a1b2c3d4", false),
      "v1-chat-completions-2026-11-25T220105-a1b2c3d4.log",
    );
  });

  test("timestamp is YYYY-MM-DDTHHMMSS, zero-padded", () => {
    assert.equal(fileTimestamp(local(2027, 1, 2, 3, 4, 5)), "2027-01-02T030405");
  });

  test("/ : and unsafe characters become -, runs collapse, ends trimmed, empty → root", () => {
    assert.equal(
      sanitizePath("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"),
      "v1beta-models-gemini-2.5-pro-streamGenerateContent",
    );
    assert.equal(sanitizePath("/"), "root");
    assert.equal(sanitizePath(""), "root");
    assert.equal(sanitizePath('/a<b>c"d|e*f g\\h'), "a-b-c-d-e-f-g-h");
    assert.equal(sanitizePath("/../../etc/passwd"), "etc-passwd");
    assert.equal(sanitizePath("/" + "x".repeat(500)).length, 120);
  });

  test("request ids are made file-name safe", () => {
    assert.equal(
      logFileName("/v1/x", local(2026, 1, 1, 0, 0, 0), "ab/c..d", false),
      "v1-x-2026-01-01T000000-ab-c--d.log",
    );
  });

  test("log and error-log predicates", () => {
    assert.ok(isLogFileName("v1-x-2026-01-01T000000-1.log"));
    assert.ok(isLogFileName("main-2026-01-01T00-00-00.000.log.gz"));
    assert.ok(!isLogFileName(".v1-x.log.abc.tmp"));
    assert.ok(isErrorLogFileName("error-v1-x-2026-01-01T000000-1.log"));
    assert.ok(!isErrorLogFileName("v1-x-2026-01-01T000000-1.log"));
  });
});
