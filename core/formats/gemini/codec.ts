/**
 * The Gemini `generateContent` codec: requests, answers and streams ↔ the canonical IR.
 */
import type { FormatCodec, RenderContext, StreamParser, StreamRenderer } from "../ir.ts";
import { parseRequest, renderRequest } from "./request.ts";
import { parseResponse, renderResponse } from "./response.ts";
import { GeminiStreamParser } from "./stream-parser.ts";
import { GeminiStreamRenderer } from "./stream-renderer.ts";

export const geminiCodec: FormatCodec = Object.freeze({
  id: "gemini",
  parseRequest,
  renderRequest,
  parseResponse,
  renderResponse,
  createStreamParser(_ctx: RenderContext): StreamParser {
    return new GeminiStreamParser();
  },
  createStreamRenderer(ctx: RenderContext): StreamRenderer {
    return new GeminiStreamRenderer(ctx);
  },
});
