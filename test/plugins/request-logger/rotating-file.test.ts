/** main.log: lines in order, size-based rotation, every backup kept. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backupName, RotatingFile, utf8Length } from "../../../plugins/request-logger/rotating-file.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rl-rotate-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("rotating main.log", () => {
  test("lines go to the file in order; the sink adds the newline", async () => {
    await withDir(async (dir) => {
      const f = new RotatingFile({ path: join(dir, "logs", "main.log") });
      f.sink("info", "first");
      f.sink("warn", "second\n");
      f.write("third\n");
      await f.flush();
      assert.equal(await readFile(join(dir, "logs", "main.log"), "utf8"), "first\nsecond\nthird\n");
      await f.close();
      f.write("after close\n");
      await f.flush();
      assert.equal(await readFile(join(dir, "logs", "main.log"), "utf8"), "first\nsecond\nthird\n");
    });
  });

  test("rotates before a line would overflow the limit; backups are kept with lumberjack's names", async () => {
    await withDir(async (dir) => {
      let t = Date.UTC(2026, 10, 25, 21, 0, 0, 0);
      const path = join(dir, "main.log");
      const rotated: string[] = [];
      const f = new RotatingFile({ path, maxBytes: 20, now: () => (t += 1000), onRotate: (p) => rotated.push(p) });
      for (let i = 0; i < 7; i++) f.write(`line-${i}-abc\n`); // 11 bytes each: one per file after the first
      await f.flush();
      const names = (await readdir(dir)).sort();
      assert.equal(names.length, 7);
      assert.ok(names.includes("main.log"));
      assert.equal(f.rotations, 6);
      assert.equal(rotated.length, 6);
      assert.ok(names.includes("main-2026-11-25T21-00-01.000.log"), names.join(","));
      assert.equal(await readFile(path, "utf8"), "line-6-abc\n");
      let all = "";
      for (const n of names.filter((n) => n !== "main.log")) all += await readFile(join(dir, n), "utf8");
      assert.equal(all, Array.from({ length: 6 }, (_, i) => `line-${i}-abc\n`).join(""), "nothing lost, in order");
    });
  });

  test("an existing main.log counts toward the limit", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "main.log");
      await writeFile(path, "0123456789\n");
      const f = new RotatingFile({ path, maxBytes: 15 });
      f.write("abcdefghij\n");
      await f.flush();
      assert.equal(f.rotations, 1);
      assert.equal(await readFile(path, "utf8"), "abcdefghij\n");
    });
  });

  test("many lines written in one burst are batched and all arrive", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "main.log");
      const f = new RotatingFile({ path, maxBytes: 1024 * 1024 });
      for (let i = 0; i < 1000; i++) f.sink("info", `l${i}`);
      await f.flush();
      const text = await readFile(path, "utf8");
      assert.equal(text.split("\n").length, 1001);
      assert.ok(text.startsWith("l0\nl1\n") && text.endsWith("l999\n"));
    });
  });

  test("helpers", () => {
    assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
    assert.equal(
      backupName("/x/main.log", Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
      join("/x", "main-2026-01-02T03-04-05.006.log"),
    );
  });
});

describe("rotating main.log failures", () => {
  test("a failing flush is reported once until a flush succeeds again", async () => {
    await withDir(async (dir) => {
      const errors: unknown[] = [];
      // The parent "directory" is a file: every append fails.
      await writeFile(join(dir, "blocker"), "x");
      const f = new RotatingFile({ path: join(dir, "blocker", "main.log"), onError: (e) => errors.push(e) });
      f.write("a\n");
      await f.flush();
      f.write("b\n");
      await f.flush();
      assert.equal(errors.length, 1);
      await f.close();
      // The flush scheduled by the second write finds nothing to do: no stray mkdir after the test's cleanup.
      await new Promise((r) => setTimeout(r, 5));
    });
  });
});
