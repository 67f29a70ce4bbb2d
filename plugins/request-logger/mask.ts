/**
 * Secret masking for request logs, with CLIProxyAPI's rules: a secret keeps 4+4 characters when it is longer than 8,
 * 2+2 when longer than 4, 1+1 when longer than 2 (`sk-1234567890abcd` → `sk-1...abcd`); shorter values are starred.
 * Authorization-like headers keep their scheme (`Bearer abcd...wxyz`); `*api-key*`, `apikey`, `token` and `secret`
 * headers are masked whole; query keys `key`, `*api-key*`, `*apikey*`, `*api_key*`, `*token*`, `*secret*` too.
 */

/** Masks one secret value (CLIProxyAPI's `HideAPIKey`, except that 1–2 character values are starred, not kept). */
export function hideSecret(secret: string): string {
  const n = secret.length;
  if (n > 8) return `${secret.slice(0, 4)}...${secret.slice(n - 4)}`;
  if (n > 4) return `${secret.slice(0, 2)}...${secret.slice(n - 2)}`;
  if (n > 2) return `${secret.slice(0, 1)}...${secret.slice(n - 1)}`;
  return "*".repeat(n);
}

/** `Bearer abcdefghijkl` → `Bearer abcd...ijkl`; a value without a scheme is masked whole. */
export function maskAuthorization(value: string): string {
  const trimmed = value.trim();
  const space = trimmed.indexOf(" ");
  if (space === -1) return hideSecret(value);
  return `${trimmed.slice(0, space)} ${hideSecret(trimmed.slice(space + 1))}`;
}

/** True when a header of this name carries a secret. */
export function isSensitiveHeader(name: string): boolean {
  const k = name.toLowerCase();
  return k.includes("authorization") || k.includes("api-key") || k.includes("apikey") || k.includes("token") ||
    k.includes("secret") || k === "cookie" || k === "set-cookie";
}

/** The value to log for header `name`. */
export function maskHeaderValue(name: string, value: string): string {
  const k = name.trim().toLowerCase();
  if (k.includes("authorization")) return maskAuthorization(value);
  if (isSensitiveHeader(k)) return hideSecret(value);
  return value;
}

function isSensitiveQueryKey(raw: string): boolean {
  let key = raw.trim().toLowerCase();
  if (key.endsWith("[]")) key = key.slice(0, -2);
  if (key === "") return false;
  return key === "key" || key.includes("api-key") || key.includes("apikey") || key.includes("api_key") ||
    key.includes("token") || key.includes("secret");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** Masks sensitive parameters of a raw query string (without `?`), leaving the others byte for byte. */
export function maskQuery(raw: string): string {
  if (raw === "") return "";
  const parts = raw.split("&");
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    if (!isSensitiveQueryKey(safeDecode(rawKey))) continue;
    const value = eq === -1 ? "" : safeDecode(part.slice(eq + 1));
    parts[i] = `${rawKey}=${encodeURIComponent(hideSecret(value.trim()))}`;
    changed = true;
  }
  return changed ? parts.join("&") : raw;
}

/** Masks the query of a URL or of a `path?query` string. */
export function maskUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const hash = url.indexOf("#", q);
  const query = hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash);
  return url.slice(0, q + 1) + maskQuery(query) + (hash === -1 ? "" : url.slice(hash));
}
