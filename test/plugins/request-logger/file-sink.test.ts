/** Atomic log files: temp + rename, 0600, error- names, cleanup after forced writes, sync fallback. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FileLogSink } from "../../../plugins/request-logger/file-sink.ts";
import type { LogEntry } from "../../../plugins/request-logger/entry.ts";

function entry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    forced: false,
    requestId: "r1",
    timestamp: new Date(2026, 0, 2, 3, 4, 5).getTime(),
    url: "/v1/chat/completions",
    method: "POST",
    requestHeaders: [["content-type", "application/json"]],
    requestBody: '{"model":"m"}',
    attempts: [],
    errors: [],
    status: 200,
    responseHeaders: [["content-type", "application/json"]],
    responseBody: '{"ok":true}',
    stream: false,
    truncatedBytes: 0,
    ...over,
  };
}

async function withSink(maxFiles: number, fn: (sink: FileLogSink, dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "rl-sink-"));
  const dir = join(root, "logs");
  try {
    await fn(
      new FileLogSink({ dir, version: "t", limits: () => ({ errorLogsMaxFiles: maxFiles, maxTotalBytes: 0 }) }),
      dir,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe("file log sink", () => {
  test("creates the directory and writes the whole file under its final name, nothing else", async () => {
    await withSink(10, async (sink, dir) => {
      await sink.write(entry());
      const names = await readdir(dir);
      assert.deepEqual(names, ["v1-chat-completions-2026-01-02T030405-r1.log"]);
      const text = await readFile(join(dir, names[0]!), "utf8");
      assert.ok(text.startsWith("=== REQUEST INFO ===\nVersion: t\n"));
      assert.ok(text.endsWith('\n\n{"ok":true}\n'));
      if (process.platform !== "win32") assert.equal((await stat(join(dir, names[0]!))).mode & 0o777, 0o600);
    });
  });

  test("forced entries get the error- prefix and the newest N are kept", async () => {
    await withSink(3, async (sink, dir) => {
      for (let i = 0; i < 5; i++) await sink.write(entry({ forced: true, requestId: `e${i}`, status: 500 }));
      await sink.idle();
      const names = (await readdir(dir)).sort();
      assert.equal(names.length, 3);
      assert.ok(names.every((n) => n.startsWith("error-v1-chat-completions-")));
    });
  });

  test("an existing file of the same name is never overwritten: the new log gets a -N suffix", async () => {
    await withSink(10, async (sink, dir) => {
      await sink.write(entry({ requestBody: "first" }));
      await sink.write(entry({ requestBody: "second" }));
      sink.writeSync(entry({ requestBody: "third" }));
      const names = (await readdir(dir)).sort();
      assert.deepEqual(names, [
        "v1-chat-completions-2026-01-02T030405-r1-1.log",
        "v1-chat-completions-2026-01-02T030405-r1-2.log",
        "v1-chat-completions-2026-01-02T030405-r1.log",
      ]);
      assert.ok((await readFile(join(dir, names[2]!), "utf8")).includes("first"));
      await sink.idle();
    });
  });

  test("writeSync writes the file before returning", async () => {
    await withSink(10, async (sink, dir) => {
      sink.writeSync(entry({ forced: true, requestId: "sync1", status: 502 }));
      const names = await readdir(dir);
      assert.deepEqual(names, ["error-v1-chat-completions-2026-01-02T030405-sync1.log"]);
      assert.ok((await readFile(join(dir, names[0]!), "utf8")).includes("Status: 502"));
      await sink.idle();
    });
  });

  test("a directory removed under the writer is made again", async () => {
    await withSink(10, async (sink, dir) => {
      await sink.write(entry({ requestId: "a" }));
      await rm(dir, { recursive: true, force: true });
      await sink.write(entry({ requestId: "b" }));
      assert.deepEqual(await readdir(dir), ["v1-chat-completions-2026-01-02T030405-b.log"]);
    });
  });
});
