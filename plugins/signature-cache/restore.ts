/**
 * The request side: before a translated request is rendered for its upstream, thinking whose signature that upstream
 * would not accept — another format's, or none at all — gets the upstream's own signature back from the cache.
 *
 * A hit must come from an upstream of the same wire format as the target (the entry records it), and the restored part
 * is labelled with that format, so the renderer sends it. A miss leaves the part as it was: the renderer then drops
 * foreign thinking (Claude, Gemini, Responses all do), and Gemini gets its bypass sentinel on function calls. So a
 * foreign signature is never sent to an upstream that would reject it.
 */
import type { IrMessage, IrPart, IrRequest } from "../../core/formats/ir.ts";
import type { WireFormat } from "../../core/formats/wire-format.ts";
import type { SignatureCache } from "./cache.ts";
import { signsThinking } from "./upstream-format.ts";

/**
 * `ir` with cached signatures restored for `upstreamModel` spoken to in `format`; undefined when nothing changed (the
 * common case allocates nothing).
 */
export function restoreSignatures(
  ir: IrRequest,
  cache: SignatureCache,
  upstreamModel: string,
  format: WireFormat | undefined,
): IrRequest | undefined {
  if (!signsThinking(format)) return undefined;
  let messages: IrMessage[] | null = null;
  for (let i = 0; i < ir.messages.length; i++) {
    const m = ir.messages[i]!;
    if (m.role !== "assistant") continue;
    let content: IrPart[] | null = null;
    for (let j = 0; j < m.content.length; j++) {
      const p = m.content[j]!;
      if (p.type !== "thinking" || p.redacted || p.text === "") continue;
      // Its own format's signature replays as it is.
      if (p.signature && p.signatureFormat === format) continue;
      const hit = cache.lookup(upstreamModel, p.text);
      if (hit === undefined || hit.format !== format) continue;
      content ??= m.content.slice();
      content[j] = { ...p, signature: hit.signature, signatureFormat: format };
    }
    if (content !== null) {
      messages ??= ir.messages.slice();
      messages[i] = { ...m, content };
    }
  }
  return messages === null ? undefined : { ...ir, messages };
}
