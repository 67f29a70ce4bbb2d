/**
 * Message content parts ↔ IR parts: text, `image_url`, `input_audio`, `file`, `video_url` (and `refusal` read as
 * text). Shared by requests (every role) and responses (assistant content given as parts).
 */
import type { IrFilePart, IrImagePart, IrPart, IrTextPart } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { arr, type Mutable, obj, str } from "./json.ts";
import {
  audioFormat,
  audioMediaType,
  mediaTypeOfFilename,
  parseDataUrl,
  sourceFromUrl,
  urlFromSource,
  urlOf,
} from "./media.ts";

/** The parts a message or tool result can hold. */
export type ContentPart = IrTextPart | IrImagePart | IrFilePart;

/** Content (a string or an array of parts) → IR parts appended to `out`; unknown part types are skipped. */
export function contentParts(content: JsonValue | undefined, out: IrPart[]): void {
  if (typeof content === "string") {
    if (content !== "") out.push({ type: "text", text: content });
    return;
  }
  if (isJsonObject(content)) {
    contentPart(content, out);
    return;
  }
  for (const p of arr(content) ?? []) {
    if (typeof p === "string") {
      if (p !== "") out.push({ type: "text", text: p });
    } else if (isJsonObject(p)) contentPart(p, out);
  }
}

function contentPart(p: JsonObject, out: IrPart[]): void {
  switch (p.type) {
    case "text":
    case "input_text":
    case "output_text": {
      const text = str(p.text);
      if (!text) return;
      const cache = obj(p.cache_control);
      out.push(cache ? { type: "text", text, cacheControl: cache } : { type: "text", text });
      return;
    }
    case "refusal": {
      const text = str(p.refusal);
      if (text) out.push({ type: "text", text });
      return;
    }
    case "image_url": {
      const url = urlOf(p.image_url);
      if (!url) return;
      const detail = str(obj(p.image_url)?.detail);
      const part: Mutable<IrImagePart> = { type: "image", source: sourceFromUrl(url) };
      if (detail) part.detail = detail;
      out.push(part);
      return;
    }
    case "input_audio": {
      const audio = obj(p.input_audio);
      const data = audio && str(audio.data);
      if (audio && data) {
        out.push({ type: "file", source: { kind: "base64", mediaType: audioMediaType(str(audio.format)), data } });
      }
      return;
    }
    case "file": {
      const file = obj(p.file);
      if (!file) return;
      const filename = str(file.filename);
      const fileData = str(file.file_data);
      const fileId = str(file.file_id);
      let part: Mutable<IrFilePart> | undefined;
      if (fileData) {
        const d = parseDataUrl(fileData);
        part = {
          type: "file",
          source: d
            ? { kind: "base64", mediaType: d.mediaType, data: d.data }
            : { kind: "base64", mediaType: mediaTypeOfFilename(filename), data: fileData },
        };
      } else if (fileId) part = { type: "file", source: { kind: "file-id", fileId } };
      if (!part) return;
      if (filename) part.filename = filename;
      out.push(part);
      return;
    }
    case "video_url": {
      const url = urlOf(p.video_url);
      if (url) out.push({ type: "file", source: sourceFromUrl(url) });
      return;
    }
  }
}

/** An IR part as an OpenAI content part; null when Chat has no form for it. */
export function renderContentPart(p: ContentPart): JsonObject | null {
  if (p.type === "text") return { type: "text", text: p.text };
  const s = p.source;
  if (p.type === "image") {
    const url = urlFromSource(s);
    if (!url) return null; // a provider file id names no image OpenAI can fetch
    const image: JsonObject = { url };
    if (p.detail) image.detail = p.detail;
    return { type: "image_url", image_url: image };
  }
  if (s.kind === "file-id") return { type: "file", file: { file_id: s.fileId } };
  if (s.kind === "url") {
    // Chat has no file-by-URL part; an image URL still works as one.
    return s.mediaType?.startsWith("image/") ? { type: "image_url", image_url: { url: s.url } } : null;
  }
  const format = audioFormat(s.mediaType);
  if (format) return { type: "input_audio", input_audio: { data: s.data, format } };
  if (s.mediaType.startsWith("image/")) return { type: "image_url", image_url: { url: urlFromSource(s)! } };
  const file: JsonObject = { file_data: urlFromSource(s)! };
  if (p.filename) file.filename = p.filename;
  return { type: "file", file };
}
