/** Images, audio and files as OpenAI carries them: `data:` URLs, plain URLs, `file_id`s, audio `format` names. */
import type { IrMediaSource } from "../ir.ts";
import type { JsonValue } from "../wire-format.ts";
import { obj, str } from "./json.ts";

const OCTET = "application/octet-stream";

/** `data:<type>;base64,<data>` → its parts; null for anything else (plain URLs, non-base64 data URLs). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  if (!url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0) return null;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(";base64")) return null;
  const semi = meta.indexOf(";");
  return { mediaType: meta.slice(0, semi) || OCTET, data: url.slice(comma + 1) };
}

/** The URL of an `image_url` / `video_url` value: a string, or `{url}` as OpenAI documents it. */
export function urlOf(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : str(obj(v)?.url);
}

/** An image or file URL as an IR source: base64 `data:` URLs are unpacked, anything else stays a URL. */
export function sourceFromUrl(url: string): IrMediaSource {
  const d = parseDataUrl(url);
  return d ? { kind: "base64", mediaType: d.mediaType, data: d.data } : { kind: "url", url };
}

/** An IR source as a URL OpenAI accepts (`data:` for base64); undefined for provider file ids. */
export function urlFromSource(s: IrMediaSource): string | undefined {
  if (s.kind === "base64") return `data:${s.mediaType || OCTET};base64,${s.data}`;
  if (s.kind === "url") return s.url;
  return undefined;
}

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
  json: "application/json",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
};

/** Media type from a file name's extension, for `file_data` sent as bare base64. */
export function mediaTypeOfFilename(filename: string | undefined): string {
  const dot = filename ? filename.lastIndexOf(".") : -1;
  if (!filename || dot < 0) return OCTET;
  return EXTENSION_TYPES[filename.slice(dot + 1).toLowerCase()] ?? OCTET;
}

/** `input_audio.format` → media type (the formats OpenAI documents, plus what CLIProxyAPI maps). */
export function audioMediaType(format: string | undefined): string {
  switch (format) {
    case undefined:
    case "":
    case "wav":
      return "audio/wav";
    case "mp3":
      return "audio/mpeg";
    case "pcm16":
      return "audio/pcm";
    case "g711_ulaw":
    case "g711_alaw":
      return "audio/basic";
    default:
      return `audio/${format}`;
  }
}

/** Media type → `input_audio.format`, when the type is audio OpenAI can take inline. */
export function audioFormat(mediaType: string): string | undefined {
  switch (mediaType) {
    case "audio/wav":
    case "audio/x-wav":
    case "audio/wave":
      return "wav";
    case "audio/mpeg":
    case "audio/mp3":
      return "mp3";
  }
  return undefined;
}
