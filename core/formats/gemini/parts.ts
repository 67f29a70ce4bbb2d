/**
 * Gemini content parts ↔ IR parts, shared by requests (history) and responses.
 *
 * Signatures: a `thoughtSignature` on a thought part or a functionCall part belongs to it. Gemini also puts one on
 * the first ordinary text part after the thoughts; the IR has no place for a signature on text, so it goes to the
 * thinking part just before when that one has none yet, and is dropped otherwise (Gemini validates only the
 * functionCall signatures).
 */
import type { IrFilePart, IrImagePart, IrMediaSource, IrPart, IrThinkingPart } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { objectAt, stringAt } from "./fields.ts";

/** Gemini's documented bypass for function calls that carry no signature of its own (history from other models). */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

export function partSignature(p: JsonObject): string | undefined {
  const s = stringAt(p, "thoughtSignature", "thought_signature");
  return s !== undefined && s !== "" ? s : undefined;
}

/** `args` of a functionCall as JSON text (`{}` when absent or not an object). */
export function argsText(args: JsonValue | undefined): string {
  return isJsonObject(args) ? JSON.stringify(args) : "{}";
}

/** Files API URIs and Cloud Storage objects are provider file ids; any other URI is a plain URL. */
function isFileId(uri: string): boolean {
  return uri.startsWith("gs://") || uri.startsWith("files/") ||
    (uri.startsWith("https://generativelanguage.googleapis.com/") && uri.includes("/files/"));
}

/** `inlineData` / `fileData` → an image part (by MIME type) or a file part. */
export function mediaFromPart(p: JsonObject): IrImagePart | IrFilePart | undefined {
  const inline = objectAt(p, "inlineData", "inline_data");
  if (inline) {
    const data = stringAt(inline, "data", "data");
    if (!data) return undefined;
    const mediaType = stringAt(inline, "mimeType", "mime_type") || "application/octet-stream";
    const source: IrMediaSource = { kind: "base64", mediaType, data };
    return mediaType.startsWith("image/") ? { type: "image", source } : { type: "file", source };
  }
  const file = objectAt(p, "fileData", "file_data");
  if (!file) return undefined;
  const uri = stringAt(file, "fileUri", "file_uri");
  if (!uri) return undefined;
  const mediaType = stringAt(file, "mimeType", "mime_type");
  const source: IrMediaSource = isFileId(uri)
    ? (mediaType ? { kind: "file-id", fileId: uri, mediaType } : { kind: "file-id", fileId: uri })
    : (mediaType ? { kind: "url", url: uri, mediaType } : { kind: "url", url: uri });
  if (mediaType?.startsWith("image/")) return { type: "image", source };
  const filename = stringAt(file, "displayName", "display_name");
  return filename ? { type: "file", source, filename } : { type: "file", source };
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,/;

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  txt: "text/plain",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  mp4: "video/mp4",
};

/** `fileData` needs a MIME type; guess it from the URL's extension when the source did not say. */
function guessMediaType(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const dot = path.lastIndexOf(".");
  return dot === -1 ? undefined : EXTENSION_TYPES[path.slice(dot + 1).toLowerCase()];
}

/** An IR media source as a Gemini part: base64 and data URLs inline, URLs and file ids as `fileData`. */
export function mediaToPart(source: IrMediaSource): JsonObject {
  switch (source.kind) {
    case "base64":
      return { inlineData: { mimeType: source.mediaType, data: source.data } };
    case "url": {
      const m = DATA_URL.exec(source.url);
      if (m) {
        return {
          inlineData: {
            mimeType: m[1] ?? source.mediaType ?? "application/octet-stream",
            data: source.url.slice(m[0].length),
          },
        };
      }
      const mimeType = source.mediaType ?? guessMediaType(source.url);
      return { fileData: mimeType ? { mimeType, fileUri: source.url } : { fileUri: source.url } };
    }
    case "file-id":
      return {
        fileData: source.mediaType
          ? { mimeType: source.mediaType, fileUri: source.fileId }
          : { fileUri: source.fileId },
      };
  }
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Model-turn parts → IR parts, in order. Consecutive text parts merge, and so do thought parts (until one carries a
 * signature), the way the stream parser keeps one open block. `callId` names each functionCall.
 */
export function readModelParts(
  parts: readonly JsonValue[],
  callId: (name: string, id: string | undefined) => string,
): IrPart[] {
  const out: IrPart[] = [];
  // The last part pushed, when it is text or thinking that may still grow.
  let text: Writable<{ type: "text"; text: string }> | null = null;
  let thinking: Writable<IrThinkingPart> | null = null;
  for (const raw of parts) {
    if (!isJsonObject(raw)) continue;
    const sig = partSignature(raw);
    const call = objectAt(raw, "functionCall", "function_call");
    if (call) {
      text = thinking = null;
      const name = stringAt(call, "name", "name") ?? "";
      const id = callId(name, stringAt(call, "id", "id") || undefined);
      out.push(
        sig
          ? { type: "tool_call", id, name, arguments: argsText(call.args), signature: sig }
          : { type: "tool_call", id, name, arguments: argsText(call.args) },
      );
      continue;
    }
    if (typeof raw.text === "string") {
      if (raw.thought === true) {
        text = null;
        if (thinking && thinking.signature === undefined) thinking.text += raw.text;
        else {
          thinking = { type: "thinking", text: raw.text };
          out.push(thinking);
        }
        if (sig) {
          thinking.signature = sig;
          thinking.signatureFormat = "gemini";
        }
        continue;
      }
      if (sig && thinking && thinking.signature === undefined) {
        thinking.signature = sig;
        thinking.signatureFormat = "gemini";
      }
      thinking = null;
      if (raw.text === "") continue;
      if (text) text.text += raw.text;
      else {
        text = { type: "text", text: raw.text };
        out.push(text);
      }
      continue;
    }
    const media = mediaFromPart(raw);
    if (media) {
      text = thinking = null;
      out.push(media);
    }
  }
  return out;
}
