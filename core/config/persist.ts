/**
 * Writing the config back: comment-preserving edits, atomic file replacement, and a queue that serialises writers.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { chmod, open, readFile, realpath, rename, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Document } from "yaml";
import { buildLoadedConfig, type LoadedConfig, parseYamlDocument } from "./load.ts";

/**
 * Replaces `path` with `text` so that a crash leaves either the old or the new content, never a mix: the text goes
 * to a temporary file in the same directory, is flushed to disk, then renamed over the target. The temporary file
 * is removed when anything fails. A symlinked target is followed, so the link survives and its target is replaced.
 *
 * A single-file bind mount (Docker `-v ./config.yaml:/app/config.yaml`, common with CPA) cannot be renamed over
 * (EBUSY/EXDEV); only then is the file rewritten in place, which is the best that mount allows.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const target = await resolveTarget(resolve(path));
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  let renamed = false;
  try {
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // `open` applies the umask; set the exact mode before the file becomes visible under its real name.
    await chmod(tmp, mode);
    try {
      await rename(tmp, target);
      renamed = true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== "EBUSY" && code !== "EXDEV") throw err;
      await writeInPlace(target, text, mode);
    }
    await syncDir(dir);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {});
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path; // does not exist yet
  }
}

async function writeInPlace(target: string, text: string, mode: number): Promise<void> {
  const handle = await open(target, "w", mode);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(target, mode).catch(() => {});
}

/** Makes the rename itself durable; not possible on every platform (Windows), where it is skipped. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/** Top-level sequences written at column 0 (`key:\n- item`) rather than indented; kept that way on re-emit. */
const UNINDENTED_SEQ = /^[^\s#][^\n]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*- /m;

/**
 * Applies `mutate` to the YAML document of `text`, keeping comments, key order and quoting, and validates the
 * result. Throws {@link ConfigError} (for bad YAML or a result that fails validation); nothing is written here, so
 * a failed edit changes nothing.
 */
export function editConfigText(
  text: string,
  path: string,
  mutate: (doc: Document) => void,
): { text: string; loaded: LoadedConfig } {
  const file = resolve(path);
  const doc = parseYamlDocument(text, file);
  mutate(doc);
  const next = doc.toString({
    lineWidth: 0, // never fold long strings (keys, URLs) the user wrote on one line
    indentSeq: !UNINDENTED_SEQ.test(text),
  });
  // Re-parse the emitted text, not the mutated document: what is validated is exactly what will be on disk.
  const loaded = buildLoadedConfig(parseYamlDocument(next, file), next, file);
  return { text: next, loaded };
}

/**
 * Reads `path`, edits it with {@link editConfigText} and writes it back atomically. When the edit is invalid the
 * file is left untouched and the {@link ConfigError} is thrown. Run it inside a {@link WriteQueue} so concurrent
 * writers do not lose each other's changes.
 */
export async function editConfigFile(
  path: string,
  mutate: (doc: Document) => void,
  mode = 0o600,
): Promise<LoadedConfig> {
  const file = resolve(path);
  const text = await readFile(file, "utf8");
  const edited = editConfigText(text, file, mutate);
  if (edited.text !== text) await writeFileAtomic(file, edited.text, mode);
  return edited.loaded;
}

/**
 * Runs async jobs one at a time in submission order. A failing job rejects its own promise only; the queue goes on.
 * The management API runs clone → modify → validate → persist → swap inside one job.
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Jobs submitted and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(() => job()).finally(() => {
      this.#pending--;
    });
    // The chain must survive a rejected job; callers see the rejection through `result`.
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Resolves once every job submitted so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => {});
  }
}
