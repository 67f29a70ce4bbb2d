import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import { isMap, isSeq } from "yaml";
import { ConfigError } from "../../../core/config/load.ts";
import { editConfigFile, editConfigText, writeFileAtomic, WriteQueue } from "../../../core/config/persist.ts";

const isWindows = platform() === "win32";

const ORIGINAL = `# Switchyard test config
host: "127.0.0.1" # bind locally
port: 8317

# Client keys
api-keys:
  - "sk-one" # first key
  - 'sk-two'

routing:
  # how credentials are picked
  strategy: round-robin
  session-affinity: false

unknown-block:
  keep: me
claude-api-key:
  - api-key: "sk-ant-1"
    prefix: team
`;

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-persist-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe("editConfigText", () => {
  test("keeps comments, key order and quoting after an edit", () => {
    const { text, loaded } = editConfigText(ORIGINAL, "/x/config.yaml", (doc) => {
      doc.setIn(["routing", "strategy"], "fill-first");
      doc.setIn(["port"], 9000);
    });
    assert.equal(loaded.config.routing.strategy, "fill-first");
    assert.equal(loaded.config.port, 9000);
    assert.equal(loaded.text, text);
    // Only the two edited values changed, line for line.
    const before = ORIGINAL.split("\n");
    const afterLines = text.split("\n");
    assert.equal(afterLines.length, before.length);
    const changed = before.flatMap((line, i) => (line === afterLines[i] ? [] : [[line, afterLines[i]]]));
    assert.deepEqual(changed, [
      ["port: 8317", "port: 9000"],
      ["  strategy: round-robin", "  strategy: fill-first"],
    ]);
  });

  test("appending to a list keeps the other items and their comments", () => {
    const { text, loaded } = editConfigText(ORIGINAL, "/x/config.yaml", (doc) => {
      const keys = doc.get("api-keys");
      assert.ok(isSeq(keys));
      keys.add(doc.createNode("sk-three"));
    });
    assert.deepEqual(loaded.config["api-keys"], ["sk-one", "sk-two", "sk-three"]);
    assert.match(text, /- "sk-one" # first key\n {2}- 'sk-two'\n {2}- sk-three\n/);
    assert.match(text, /^# Switchyard test config\n/);
    assert.match(text, /unknown-block:\n {2}keep: me\n/);
  });

  test("a top-level sequence written at column 0 stays at column 0", () => {
    const src = "api-keys:\n- a\n- b\nport: 1\n";
    const { text } = editConfigText(src, "/x/config.yaml", (doc) => doc.set("port", 2));
    assert.equal(text, "api-keys:\n- a\n- b\nport: 2\n");
  });

  test("long strings are not folded", () => {
    const long = "https://example.com/" + "a".repeat(120);
    const src = `proxy-url: "${long}"\nport: 1\n`;
    const { text } = editConfigText(src, "/x/config.yaml", (doc) => doc.set("port", 2));
    assert.ok(text.includes(`proxy-url: "${long}"\n`));
  });

  test("an edit that makes the config invalid throws ConfigError", () => {
    assert.throws(
      () => editConfigText(ORIGINAL, "/x/config.yaml", (doc) => doc.setIn(["routing", "strategy"], "fastest")),
      (err: unknown) => err instanceof ConfigError && err.issues[0]!.path === "routing.strategy",
    );
    assert.throws(() => editConfigText("a: [\n", "/x/config.yaml", () => {}), ConfigError);
  });

  test("the document handed to mutate is a map with the file's keys", () => {
    editConfigText(ORIGINAL, "/x/config.yaml", (doc) => {
      assert.ok(isMap(doc.contents));
      assert.equal(doc.getIn(["claude-api-key", 0, "prefix"]), "team");
    });
  });
});

describe("writeFileAtomic", () => {
  test("writes the text with mode 0600 and leaves no temp file", async () => {
    const file = join(dir, "atomic.yaml");
    await writeFileAtomic(file, "port: 1\n");
    assert.equal(await readFile(file, "utf8"), "port: 1\n");
    if (!isWindows) assert.equal((await stat(file)).mode & 0o777, 0o600);
    await writeFileAtomic(file, "port: 2\n");
    assert.equal(await readFile(file, "utf8"), "port: 2\n");
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes("atomic")), ["atomic.yaml"]);
  });

  test("replaces a file that had wider permissions with 0600", { skip: isWindows }, async () => {
    const file = join(dir, "wide.yaml");
    await writeFile(file, "port: 1\n");
    await chmod(file, 0o644);
    await writeFileAtomic(file, "port: 3\n");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test("honours an explicit mode", { skip: isWindows }, async () => {
    const file = join(dir, "mode.yaml");
    await writeFileAtomic(file, "x: 1\n", 0o640);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
  });

  test("follows a symlink and replaces its target, keeping the link", { skip: isWindows }, async () => {
    const target = join(dir, "real.yaml");
    const link = join(dir, "link.yaml");
    await writeFile(target, "port: 1\n");
    await symlink(target, link);
    await writeFileAtomic(link, "port: 4\n");
    assert.equal(await readFile(target, "utf8"), "port: 4\n");
    assert.ok((await stat(link)).isFile());
    assert.equal(await readFile(link, "utf8"), "port: 4\n");
  });

  test("fails without leaving a temp file when the directory does not exist", async () => {
    await assert.rejects(writeFileAtomic(join(dir, "no-such-dir", "x.yaml"), "x: 1\n"));
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith(".tmp")));
  });
});

describe("editConfigFile", () => {
  test("persists a valid edit with comments kept and mode 0600", async () => {
    const file = join(dir, "edit.yaml");
    await writeFile(file, ORIGINAL);
    const loaded = await editConfigFile(file, (doc) => doc.set("port", 8318));
    assert.equal(loaded.config.port, 8318);
    const text = await readFile(file, "utf8");
    assert.equal(text, loaded.text);
    assert.equal(text, ORIGINAL.replace("port: 8317", "port: 8318"));
    if (!isWindows) assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test("an invalid edit throws and leaves the file untouched", async () => {
    const file = join(dir, "untouched.yaml");
    await writeFile(file, ORIGINAL);
    const before = await stat(file);
    await assert.rejects(
      editConfigFile(file, (doc) => doc.set("port", 70000)),
      (err: unknown) => err instanceof ConfigError && /port: must be between 0 and 65535/.test(err.message),
    );
    assert.equal(await readFile(file, "utf8"), ORIGINAL);
    assert.equal((await stat(file)).mtimeMs, before.mtimeMs);
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith(".tmp")));
  });
});

describe("WriteQueue", () => {
  test("runs concurrent jobs one at a time, in order", async () => {
    const q = new WriteQueue();
    const events: string[] = [];
    let running = 0;
    const job = (name: string, ms: number) => async () => {
      running++;
      assert.equal(running, 1, "jobs overlap");
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([q.run(job("a", 20)), q.run(job("b", 1)), q.run(job("c", 5))]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  test("a failing job rejects only its own promise", async () => {
    const q = new WriteQueue();
    const failed = q.run(() => Promise.reject(new Error("boom")));
    const next = q.run(() => Promise.resolve(42));
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 42);
  });

  test("a job that throws synchronously is a rejection, not a crash", async () => {
    const q = new WriteQueue();
    await assert.rejects(
      q.run(() => {
        throw new Error("sync");
      }),
      /sync/,
    );
    assert.equal(await q.run(() => Promise.resolve("ok")), "ok");
  });

  test("pending and idle", async () => {
    const q = new WriteQueue();
    void q.run(() => sleep(5));
    void q.run(() => sleep(5));
    assert.equal(q.pending, 2);
    await q.idle();
    assert.equal(q.pending, 0);
  });

  test("serialised read-modify-write edits of one file lose nothing", async () => {
    const file = join(dir, "counter.yaml");
    await writeFile(file, "# counter\napi-keys: []\n");
    const q = new WriteQueue();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        q.run(() =>
          editConfigFile(file, (doc) => {
            const keys = doc.get("api-keys");
            assert.ok(isSeq(keys));
            keys.add(doc.createNode(`k${i}`));
          })
        )),
    );
    const text = await readFile(file, "utf8");
    assert.ok(text.startsWith("# counter\n"));
    for (let i = 0; i < 10; i++) assert.ok(text.includes(`k${i}`), `k${i} lost`);
  });
});
