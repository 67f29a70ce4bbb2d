/**
 * Log file names, as CLIProxyAPI writes them: `<path>-<YYYY-MM-DDTHHMMSS>-<reqid>.log` in local time, where `/`, `:`
 * and characters unsafe in file names become `-` (an empty path becomes `root`); forced error logs get `error-`.
 */

/** Longest sanitised path kept in a name (file names are limited to 255 bytes). */
const MAX_PATH_PART = 120;

/** `/v1/chat/completions?x=1` → `v1-chat-completions`. */
export function sanitizePath(url: string): string {
  let path = url;
  const q = path.search(/[?#]/);
  if (q !== -1) path = path.slice(0, q);
  if (path.startsWith("/")) path = path.slice(1);
  let s = path
    // Control characters and the ones Windows and shells trip on.
    // deno-lint-ignore no-control-regex
    .replace(/[/\\:<>"|?*\s\x00-\x1f\x7f]/g, "-")
    .replace(/\.\.+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (s.length > MAX_PATH_PART) s = s.slice(0, MAX_PATH_PART).replace(/-+$/, "");
  return s === "" ? "root" : s;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `2026-11-25T220105` in local time (Go's `2006-01-02T150405`). */
export function fileTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}${pad(d.getMinutes())}${
    pad(d.getSeconds())
  }`;
}

/** The request id as it may appear in a file name. */
export function sanitizeRequestId(id: string): string {
  const s = id.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
  return s === "" ? "0" : s;
}

export function logFileName(url: string, epochMs: number, requestId: string, forced: boolean): string {
  const name = `${sanitizePath(url)}-${fileTimestamp(epochMs)}-${sanitizeRequestId(requestId)}.log`;
  return forced ? `error-${name}` : name;
}

/** Request logs the cleaners consider: `*.log` and `*.log.gz`. */
export function isLogFileName(name: string): boolean {
  const lower = name.trim().toLowerCase();
  return lower.endsWith(".log") || lower.endsWith(".log.gz");
}

/** Forced error logs: `error-*.log`. */
export function isErrorLogFileName(name: string): boolean {
  return name.startsWith("error-") && name.endsWith(".log");
}
