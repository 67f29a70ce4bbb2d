/** The Claude Messages codec: request, response and stream translation to and from the IR. */
import type { FormatCodec } from "../ir.ts";
import { parseClaudeRequest, renderClaudeRequest } from "./request.ts";
import { parseClaudeResponse, renderClaudeResponse } from "./response.ts";
import { ClaudeStreamParser } from "./stream-parser.ts";
import { ClaudeStreamRenderer } from "./stream-renderer.ts";

export const claudeCodec: FormatCodec = {
  id: "claude",
  parseRequest: parseClaudeRequest,
  renderRequest: renderClaudeRequest,
  parseResponse: parseClaudeResponse,
  renderResponse: renderClaudeResponse,
  createStreamParser: (ctx) => new ClaudeStreamParser(ctx),
  createStreamRenderer: (ctx) => new ClaudeStreamRenderer(ctx),
};
