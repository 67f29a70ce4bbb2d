/**
 * The four client surfaces of the translation matrix, each driven through its official SDK and reduced to one common
 * shape (`Turn`) so a test can be written once for every (client × upstream × stream) cell:
 * - `openai` Chat Completions (`chat.completions.create`, `chat.completions.stream(…).finalChatCompletion()`),
 * - `openai` Responses (`responses.create`, `responses.stream(…).finalResponse()`),
 * - `@anthropic-ai/sdk` Messages (`messages.create`, `messages.stream(…).finalMessage()`),
 * - `@google/genai` (`models.generateContent`, `models.generateContentStream`).
 * A second turn (tool result) is built from the first turn's own SDK objects, exactly as an application would.
 */
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { type Content, GoogleGenAI } from "@google/genai";
import { WEATHER_TOOL } from "../helpers/fake-providers.ts";

export type ClientFormat = "openai-chat" | "openai-responses" | "claude" | "gemini";

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
}

/** One answer, whatever the client format. */
export interface Turn {
  readonly text: string;
  /** Thinking / reasoning text as the client format exposes it. */
  readonly thinking: string;
  /** Signatures the client received (Claude `signature`, Gemini `thoughtSignature`, Responses `encrypted_content`). */
  readonly signatures: readonly string[];
  readonly toolCalls: readonly ToolCall[];
  /** The usage object exactly as the client format reports it. */
  readonly usage: Record<string, unknown>;
  /** finish_reason / stop_reason / finishReason / status. */
  readonly stop: string;
  /** The model the answer names (model / modelVersion). */
  readonly model: string;
  /** What the next turn replays (assistant message, output items, model content). */
  readonly replay: unknown;
}

export interface Ask {
  readonly text: string;
  /** A system prompt, in the client format's own place for it. */
  readonly system?: string;
  readonly image?: { readonly mediaType: string; readonly data: string };
  readonly tools?: boolean;
  readonly thinking?: boolean;
  /** Second turn: the first turn and the tool output answering each of its calls. */
  readonly after?: {
    readonly turn: Turn;
    readonly toolOutput: string | ((call: ToolCall) => string);
    /** An image the tool returns with its output (a screenshot), where the client format can carry one. */
    readonly toolImage?: { readonly mediaType: string; readonly data: string };
  };
}

export interface ClientDriver {
  readonly format: ClientFormat;
  readonly label: string;
  send(model: string, stream: boolean, ask: Ask): Promise<Turn>;
}

export const CLIENT_KEY = "sk-client-e2e";

function outputFor(after: NonNullable<Ask["after"]>, call: ToolCall): string {
  return typeof after.toolOutput === "string" ? after.toolOutput : after.toolOutput(call);
}

// ---------------------------------------------------------------------------------------------------------------
// openai: Chat Completions

export function chatDriver(baseUrl: string): ClientDriver {
  const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  return {
    format: "openai-chat",
    label: "openai chat.completions",
    async send(model, stream, ask) {
      const user: OpenAI.ChatCompletionContentPart[] = [{ type: "text", text: ask.text }];
      if (ask.image) user.push({ type: "image_url", image_url: { url: `data:${ask.image.mediaType};base64,${ask.image.data}` } });
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: ask.image ? user : ask.text }];
      if (ask.system) messages.unshift({ role: "system", content: ask.system });
      if (ask.after) {
        const prev = ask.after.turn.replay as OpenAI.ChatCompletionMessage;
        messages.push({ role: "assistant", content: prev.content, tool_calls: prev.tool_calls });
        for (const call of ask.after.turn.toolCalls) {
          messages.push({ role: "tool", tool_call_id: call.id, content: outputFor(ask.after, call) });
        }
      }
      const params: OpenAI.ChatCompletionCreateParamsNonStreaming = { model, messages };
      if (ask.tools) {
        params.tools = [{ type: "function", function: { ...WEATHER_TOOL, parameters: { ...WEATHER_TOOL.parameters } } }];
      }
      if (ask.thinking) params.reasoning_effort = "high";
      let completion: OpenAI.ChatCompletion;
      let reasoning = "";
      if (stream) {
        const s = client.chat.completions.stream({ ...params, stream: true, stream_options: { include_usage: true } });
        // The accumulator keeps only the last `reasoning_content` fragment (not an OpenAI field): read the chunks.
        s.on("chunk", (chunk) => {
          const delta = chunk.choices[0]?.delta as { reasoning_content?: string } | undefined;
          if (delta?.reasoning_content) reasoning += delta.reasoning_content;
        });
        completion = await s.finalChatCompletion();
      } else {
        completion = await client.chat.completions.create(params);
        reasoning = (completion.choices[0]?.message as { reasoning_content?: string }).reasoning_content ?? "";
      }
      const choice = completion.choices[0]!;
      return {
        text: choice.message.content ?? "",
        thinking: reasoning,
        signatures: [],
        toolCalls: (choice.message.tool_calls ?? []).map((c) => {
          if (c.type !== "function") throw new Error(`unexpected tool call type ${c.type}`);
          return { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) };
        }),
        usage: (completion.usage ?? {}) as unknown as Record<string, unknown>,
        stop: choice.finish_reason,
        model: completion.model,
        replay: choice.message,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// openai: Responses

export function responsesDriver(baseUrl: string): ClientDriver {
  const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  return {
    format: "openai-responses",
    label: "openai responses",
    async send(model, stream, ask) {
      const content: OpenAI.Responses.ResponseInputContent[] = [{ type: "input_text", text: ask.text }];
      if (ask.image) {
        content.push({ type: "input_image", image_url: `data:${ask.image.mediaType};base64,${ask.image.data}`, detail: "auto" });
      }
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content }];
      if (ask.after) {
        const output = ask.after.turn.replay as OpenAI.Responses.ResponseOutputItem[];
        for (const item of output) {
          if (item.type === "reasoning") {
            input.push({ type: "reasoning", id: item.id, summary: item.summary, encrypted_content: item.encrypted_content });
          } else if (item.type === "function_call") {
            input.push({ type: "function_call", call_id: item.call_id, name: item.name, arguments: item.arguments });
          } else if (item.type === "message") {
            input.push({ role: "assistant", content: item.content.map((c) => c.type === "output_text" ? c.text : "").join("") });
          }
        }
        for (const call of ask.after.turn.toolCalls) {
          const img = ask.after.toolImage;
          input.push({
            type: "function_call_output",
            call_id: call.id,
            output: img
              ? [
                { type: "input_text", text: outputFor(ask.after, call) },
                { type: "input_image", image_url: `data:${img.mediaType};base64,${img.data}`, detail: "auto" },
              ]
              : outputFor(ask.after, call),
          });
        }
      }
      const params: OpenAI.Responses.ResponseCreateParamsNonStreaming = { model, input };
      if (ask.system) params.instructions = ask.system;
      if (ask.tools) {
        params.tools = [{ type: "function", ...WEATHER_TOOL, parameters: { ...WEATHER_TOOL.parameters }, strict: false }];
      }
      if (ask.thinking) params.reasoning = { effort: "high", summary: "auto" };
      const response = stream
        ? await client.responses.stream({ ...params, stream: true }).finalResponse()
        : await client.responses.create(params);
      const reasoning = response.output.flatMap((i) => (i.type === "reasoning" ? [i] : []));
      return {
        text: response.output_text,
        thinking: reasoning.flatMap((r) => r.summary.map((s) => s.text)).join(""),
        signatures: reasoning.map((r) => r.encrypted_content ?? "").filter((s) => s !== ""),
        toolCalls: response.output.flatMap((i) =>
          i.type === "function_call" ? [{ id: i.call_id, name: i.name, args: JSON.parse(i.arguments) }] : []
        ),
        usage: (response.usage ?? {}) as unknown as Record<string, unknown>,
        stop: response.status ?? "",
        model: response.model,
        replay: response.output,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// @anthropic-ai/sdk: Messages

export function claudeDriver(baseUrl: string): ClientDriver {
  const client = new Anthropic({ apiKey: CLIENT_KEY, baseURL: baseUrl, maxRetries: 0 });
  return {
    format: "claude",
    label: "anthropic messages",
    async send(model, stream, ask) {
      const content: Anthropic.ContentBlockParam[] = [{ type: "text", text: ask.text }];
      if (ask.image) {
        content.push({
          type: "image",
          source: { type: "base64", media_type: ask.image.mediaType as "image/png", data: ask.image.data },
        });
      }
      const messages: Anthropic.MessageParam[] = [{ role: "user", content }];
      if (ask.after) {
        const prev = ask.after.turn.replay as Anthropic.ContentBlock[];
        messages.push({ role: "assistant", content: prev as Anthropic.ContentBlockParam[] });
        messages.push({
          role: "user",
          content: ask.after.turn.toolCalls.map((c) => ({
            type: "tool_result" as const,
            tool_use_id: c.id,
            content: ask.after!.toolImage
              ? [
                { type: "text" as const, text: outputFor(ask.after!, c) },
                {
                  type: "image" as const,
                  source: { type: "base64" as const, media_type: ask.after!.toolImage.mediaType as "image/png", data: ask.after!.toolImage.data },
                },
              ]
              : outputFor(ask.after!, c),
          })),
        });
      }
      const params: Anthropic.MessageCreateParamsNonStreaming = { model, max_tokens: 4096, messages };
      if (ask.system) params.system = ask.system;
      if (ask.tools) {
        params.tools = [{
          name: WEATHER_TOOL.name,
          description: WEATHER_TOOL.description,
          input_schema: { ...WEATHER_TOOL.parameters } as unknown as Anthropic.Tool.InputSchema,
        }];
      }
      if (ask.thinking) params.thinking = { type: "enabled", budget_tokens: 2048 };
      const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      return {
        text: message.content.map((b) => (b.type === "text" ? b.text : "")).join(""),
        thinking: message.content.map((b) => (b.type === "thinking" ? b.thinking : "")).join(""),
        signatures: message.content.flatMap((b) => (b.type === "thinking" && b.signature ? [b.signature] : [])),
        toolCalls: message.content.flatMap((b) => (b.type === "tool_use" ? [{ id: b.id, name: b.name, args: b.input }] : [])),
        usage: message.usage as unknown as Record<string, unknown>,
        stop: message.stop_reason ?? "",
        model: message.model,
        replay: message.content,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// @google/genai: generateContent

interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
  inlineData?: { mimeType?: string; data?: string };
}

export function geminiDriver(baseUrl: string): ClientDriver {
  const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl } });
  return {
    format: "gemini",
    label: "google genai",
    async send(model, stream, ask) {
      const parts: GeminiPart[] = [{ text: ask.text }];
      if (ask.image) parts.push({ inlineData: { mimeType: ask.image.mediaType, data: ask.image.data } });
      const contents: { role: string; parts: unknown[] }[] = [{ role: "user", parts }];
      if (ask.after) {
        contents.push({ role: "model", parts: ask.after.turn.replay as GeminiPart[] });
        contents.push({
          role: "user",
          parts: ask.after.turn.toolCalls.map((c) => ({
            functionResponse: {
              id: c.id,
              name: c.name,
              response: { result: outputFor(ask.after!, c) },
              ...(ask.after!.toolImage
                ? { parts: [{ inlineData: { mimeType: ask.after!.toolImage.mediaType, data: ask.after!.toolImage.data } }] }
                : {}),
            },
          })),
        });
      }
      const config: Record<string, unknown> = {};
      if (ask.tools) {
        config.tools = [{
          functionDeclarations: [{
            name: WEATHER_TOOL.name,
            description: WEATHER_TOOL.description,
            parametersJsonSchema: WEATHER_TOOL.parameters,
          }],
        }];
      }
      if (ask.thinking) config.thinkingConfig = { includeThoughts: true, thinkingBudget: 2048 };
      if (ask.system) config.systemInstruction = ask.system;
      const request = { model, contents: contents as Content[], config };
      const all: GeminiPart[] = [];
      let usage: Record<string, unknown> = {};
      let stop = "";
      let modelVersion = "";
      const take = (res: {
        candidates?: { content?: { parts?: unknown[] }; finishReason?: string }[];
        usageMetadata?: unknown;
        modelVersion?: string;
      }) => {
        if (res.modelVersion) modelVersion = res.modelVersion;
        const c = res.candidates?.[0];
        for (const p of (c?.content?.parts ?? []) as GeminiPart[]) {
          // Consecutive text (or thought) chunks of a stream are one part of the answer.
          const last = all.at(-1);
          if (
            last && typeof p.text === "string" && typeof last.text === "string" && !!p.thought === !!last.thought &&
            !p.thoughtSignature && !(p.thought && last.thoughtSignature)
          ) last.text += p.text;
          else all.push({ ...p });
        }
        if (c?.finishReason) stop = c.finishReason;
        if (res.usageMetadata) usage = res.usageMetadata as Record<string, unknown>;
      };
      if (stream) for await (const chunk of await ai.models.generateContentStream(request)) take(chunk);
      else take(await ai.models.generateContent(request));
      return {
        text: all.map((p) => (typeof p.text === "string" && !p.thought ? p.text : "")).join(""),
        thinking: all.map((p) => (p.thought && typeof p.text === "string" ? p.text : "")).join(""),
        signatures: all.flatMap((p) => (p.thoughtSignature ? [p.thoughtSignature] : [])),
        toolCalls: all.flatMap((p) =>
          p.functionCall ? [{ id: p.functionCall.id ?? "", name: p.functionCall.name ?? "", args: p.functionCall.args ?? {} }] : []
        ),
        usage,
        stop,
        model: modelVersion,
        replay: all,
      };
    },
  };
}
