/** The OpenAI Chat Completions codec and the legacy Completions codec built on it. */
import type { FormatCodec, IrRequest, RenderContext } from "../ir.ts";
import {
  parseCompletionsRequest,
  parseCompletionsResponse,
  renderCompletionsRequest,
  renderCompletionsResponse,
} from "./completions.ts";
import { parseChatRequest } from "./request.ts";
import { renderChatRequest } from "./request-render.ts";
import { parseChatResponse, renderChatResponse } from "./response.ts";
import { ChatStreamParser } from "./stream-parser.ts";
import { ChatStreamRenderer } from "./stream-renderer.ts";

export const openAIChatCodec: FormatCodec = Object.freeze({
  id: "openai-chat",
  parseRequest: parseChatRequest,
  renderRequest(ir: IrRequest, ctx: RenderContext) {
    return renderChatRequest(ir, ctx);
  },
  parseResponse: parseChatResponse,
  renderResponse: renderChatResponse,
  createStreamParser() {
    return new ChatStreamParser();
  },
  createStreamRenderer(ctx: RenderContext) {
    return new ChatStreamRenderer(ctx);
  },
});

export const openAICompletionsCodec: FormatCodec = Object.freeze({
  id: "openai-completions",
  parseRequest: parseCompletionsRequest,
  renderRequest: renderCompletionsRequest,
  parseResponse: parseCompletionsResponse,
  renderResponse: renderCompletionsResponse,
  // Completions chunks carry `choices[].text`, which the Chat parser reads as content.
  createStreamParser() {
    return new ChatStreamParser();
  },
  createStreamRenderer(ctx: RenderContext) {
    return new ChatStreamRenderer(ctx, true);
  },
});
