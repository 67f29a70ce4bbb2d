import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveLogDir } from "../../../plugins/request-logger/log-dir.ts";

describe("log directory", () => {
  test("$WRITABLE_PATH/logs when set, else <config dir>/logs", () => {
    assert.equal(resolveLogDir("/etc/switchyard", { WRITABLE_PATH: "/var/lib/sy" }), join("/var/lib/sy", "logs"));
    assert.equal(resolveLogDir("/etc/switchyard", { writable_path: "/data" }), join("/data", "logs"));
    assert.equal(resolveLogDir("/etc/switchyard", { WRITABLE_PATH: "  " }), join("/etc/switchyard", "logs"));
    assert.equal(resolveLogDir("/etc/switchyard", {}), join("/etc/switchyard", "logs"));
  });
});
