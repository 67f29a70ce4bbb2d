/** error-logs-max-files and logs-max-total-size-mb. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cleaner, cleanupErrorLogs, enforceSizeLimit } from "../../../plugins/request-logger/cleanup.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rl-cleanup-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `name` with `size` bytes and an mtime `ageS` seconds in the past. */
async function file(dir: string, name: string, size: number, ageS: number): Promise<void> {
  const p = join(dir, name);
  await writeFile(p, "x".repeat(size));
  const t = new Date(Date.now() - ageS * 1000);
  await utimes(p, t, t);
}

describe("log cleanup", () => {
  test("vector 15: max-files 10 and 11 error logs → the 10 newest remain; other files untouched", async () => {
    await withDir(async (dir) => {
      for (let i = 0; i < 11; i++) {
        await file(dir, `error-v1-x-2026-01-01T0000${String(i).padStart(2, "0")}-${i}.log`, 10, 100 - i);
      }
      await file(dir, "v1-x-2026-01-01T000000-a.log", 10, 500);
      await file(dir, "main.log", 10, 500);
      assert.equal(await cleanupErrorLogs(dir, 10), 1);
      const names = (await readdir(dir)).sort();
      assert.equal(names.filter((n) => n.startsWith("error-")).length, 10);
      assert.ok(!names.includes("error-v1-x-2026-01-01T000000-0.log"), "the oldest went");
      assert.ok(names.includes("v1-x-2026-01-01T000000-a.log"));
      assert.ok(names.includes("main.log"));
    });
  });

  test("max-files 0 is off", async () => {
    await withDir(async (dir) => {
      for (let i = 0; i < 3; i++) await file(dir, `error-a-${i}.log`, 1, i);
      assert.equal(await cleanupErrorLogs(dir, 0), 0);
      assert.equal((await readdir(dir)).length, 3);
    });
  });

  test("size limit deletes the oldest *.log / *.log.gz until under it, never main.log", async () => {
    await withDir(async (dir) => {
      await file(dir, "main.log", 400, 1000); // oldest, but protected
      await file(dir, "old-a.log", 300, 900);
      await file(dir, "old-b.log.gz", 300, 800);
      await file(dir, "mid.log", 300, 700);
      await file(dir, "new.log", 300, 10);
      await file(dir, "notes.txt", 5000, 2000); // not a log: neither counted nor deleted
      const r = await enforceSizeLimit(dir, 1000);
      assert.equal(r.deleted, 2);
      assert.equal(r.total, 1000);
      assert.deepEqual((await readdir(dir)).sort(), ["main.log", "mid.log", "new.log", "notes.txt"]);
    });
  });

  test("size limit 0 is off; a missing directory is fine", async () => {
    await withDir(async (dir) => {
      await file(dir, "a.log", 100, 1);
      assert.deepEqual(await enforceSizeLimit(dir, 0), { deleted: 0, total: 0 });
      assert.deepEqual(await enforceSizeLimit(join(dir, "nope"), 10), { deleted: 0, total: 0 });
      assert.equal(await cleanupErrorLogs(join(dir, "nope"), 1), 0);
    });
  });

  test("Cleaner: error cleanup after forced writes; size scans only when the estimate says so", async () => {
    await withDir(async (dir) => {
      let limits = { errorLogsMaxFiles: 2, maxTotalBytes: 0 };
      const cleaner = new Cleaner(dir, () => limits, Date.now, (err) => assert.fail(String(err)));
      for (let i = 0; i < 4; i++) await file(dir, `error-${i}.log`, 100, 10 - i);
      await cleaner.afterWrite(100, false);
      assert.equal((await readdir(dir)).length, 4, "a normal write does not trigger error cleanup");
      await cleaner.afterWrite(100, true);
      assert.deepEqual((await readdir(dir)).sort(), ["error-2.log", "error-3.log"]);

      limits = { errorLogsMaxFiles: 0, maxTotalBytes: 250 };
      cleaner.invalidate();
      await file(dir, "big.log", 100, 100);
      await cleaner.afterWrite(100, false);
      assert.deepEqual((await readdir(dir)).sort(), ["error-2.log", "error-3.log"], "oldest (big.log) deleted");
      // Concurrent requests coalesce; idle resolves when done.
      void cleaner.afterWrite(10, true);
      void cleaner.afterWrite(10, true);
      await cleaner.idle();
    });
  });
});
