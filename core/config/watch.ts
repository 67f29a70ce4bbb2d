/**
 * Watches one file for changes, debounced. The directory is watched rather than the file, so editors that save by
 * writing a temp file and renaming it over the original are seen too. Content hashing (by the caller) turns identical
 * writes into no-ops.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

export interface FileWatcher {
  close(): void;
}

export function watchFile(path: string, onChange: () => void, { debounceMs = 150 } = {}): FileWatcher {
  const name = basename(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const trigger = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      // Some platforms omit the name; then any change in the directory is worth a (hash-checked) look.
      if (filename == null || String(filename) === name) trigger();
    });
    watcher.on("error", () => {});
  } catch {
    watcher = undefined;
  }
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
