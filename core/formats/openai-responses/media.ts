/** Images and files as the Responses API carries them: data URLs, plain URLs and provider file ids. */
import type { IrMediaSource } from "../ir.ts";

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/;

/** `data:<type>;base64,<data>` → base64 source; anything else → url source. */
export function sourceFromUrl(url: string, fallbackMediaType: string): IrMediaSource {
  const m = DATA_URL.exec(url);
  if (!m) return { kind: "url", url };
  return { kind: "base64", mediaType: m[1] || fallbackMediaType, data: url.slice(m[0].length) };
}

export function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  html: "text/html",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

/** Media type guessed from a file name (Responses `input_file` may send raw base64 with only `filename`). */
export function mediaTypeOfFilename(filename: string | undefined): string | undefined {
  if (filename === undefined) return undefined;
  const dot = filename.lastIndexOf(".");
  return dot < 0 ? undefined : EXTENSION_TYPES[filename.slice(dot + 1).toLowerCase()];
}

/** A file name for a media type: the Responses API wants `filename` beside `file_data`. */
export function filenameFor(mediaType: string | undefined): string {
  if (mediaType !== undefined) {
    for (const [ext, type] of Object.entries(EXTENSION_TYPES)) if (type === mediaType) return `document.${ext}`;
  }
  return "document";
}
