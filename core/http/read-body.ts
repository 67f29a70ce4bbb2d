/** The client's request body, bounded. */
import { concatBytes } from "./concat-bytes.ts";
import { ProxyError } from "./proxy-error.ts";

const utf8 = new TextDecoder();

/**
 * Reads a body up to `limit` bytes; a larger one is refused with 413 before it is buffered. A body that cannot be read
 * (the client went away mid-body) is a 499: nobody is left to answer, and it is no server error.
 */
export async function readBody(request: Request, limit: number): Promise<string> {
  try {
    return await readBounded(request, limit);
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ProxyError(499, "client_closed", `Client closed the request while sending its body: ${detail}`);
  }
}

async function readBounded(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  const tooLarge = () =>
    new ProxyError(413, "body_too_large", `Request body exceeds the ${Math.round(limit / 1048576)} MiB limit`, {
      type: "invalid_request_error",
    });
  const length = declared === null ? NaN : Number(declared);
  if (length > limit) throw tooLarge();
  // Fast path: a declared length within the limit (the server frames the body by it) is read in one native call.
  // `request.body` is not touched first: on Deno that getter turns a body the server already holds into a JS stream,
  // and `arrayBuffer()` then drains that stream through a reader instead of taking the bytes (~3 µs of a JSON request
  // in process).
  if (length <= limit) return utf8.decode(await request.arrayBuffer());
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return utf8.decode(concatBytes(chunks, size));
}
