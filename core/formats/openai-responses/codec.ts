/** The OpenAI Responses codec: the standard `/v1/responses` API, as a client format and as an upstream format. */
import type { FormatCodec, IrRequest, RenderContext } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { parseResponsesRequest, renderResponsesRequest } from "./request.ts";
import { parseResponsesResponse, renderResponsesResponse } from "./response.ts";
import { ResponsesStreamParser } from "./stream-parser.ts";
import { ResponsesStreamRenderer } from "./stream-renderer.ts";

export const openAIResponsesCodec: FormatCodec = Object.freeze({
  id: "openai-responses",
  parseRequest: parseResponsesRequest,
  renderRequest(ir: IrRequest, ctx: RenderContext): JsonObject {
    return renderResponsesRequest(ir, ctx);
  },
  parseResponse: parseResponsesResponse,
  renderResponse: renderResponsesResponse,
  createStreamParser(): ResponsesStreamParser {
    return new ResponsesStreamParser();
  },
  createStreamRenderer(ctx: RenderContext): ResponsesStreamRenderer {
    return new ResponsesStreamRenderer(ctx);
  },
});

export { assembleResponse, ResponseAssembler } from "../assemble.ts";
export { CODEX_RENDER_OPTIONS, renderResponsesRequest, type ResponsesRenderOptions } from "./request.ts";
