/**
 * Gemini `generateContent` requests ↔ IR.
 *
 * The model is in the URL (`/v1beta/models/{m}:generateContent`), not the body, and so is streaming (the action):
 * parse gives `model: ""` unless the body names one and `stream: false`; the edge fills both in.
 */
import { ProxyError } from "../../http/proxy-error.ts";
import type {
  IrFilePart,
  IrImagePart,
  IrMessage,
  IrPart,
  IrReasoning,
  IrRequest,
  IrResponseFormat,
  IrSampling,
  IrTextPart,
  IrTool,
  IrToolCallPart,
  IrToolChoice,
  IrToolResultPart,
  RenderContext,
} from "../ir.ts";
import { argumentsObject } from "../ir.ts";
import { isReasoningLevel } from "../thinking.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";
import { arrayAt, camelKey, field, numberAt, objectAt, stringAt } from "./fields.ts";
import { mediaFromPart, mediaToPart, readModelParts, SKIP_SIGNATURE } from "./parts.ts";
import { cleanSchemaForGemini } from "./schema-clean.ts";

// ---------------------------------------------------------------------------------------------------------------
// Parse

/** Top-level fields the IR holds; any other goes to `extra` for a Gemini-family upstream. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "contents",
  "systemInstruction",
  "system_instruction",
  "tools",
  "toolConfig",
  "tool_config",
  "generationConfig",
  "generation_config",
]);

/** generationConfig fields the IR holds (both spellings); the rest go to `extra.generationConfig`. */
const KNOWN_GENERATION_FIELDS: ReadonlySet<string> = new Set([
  "temperature",
  "topP",
  "top_p",
  "topK",
  "top_k",
  "maxOutputTokens",
  "max_output_tokens",
  "stopSequences",
  "stop_sequences",
  "candidateCount",
  "candidate_count",
  "seed",
  "presencePenalty",
  "presence_penalty",
  "frequencyPenalty",
  "frequency_penalty",
  "thinkingConfig",
  "thinking_config",
]);

const RESPONSE_FORMAT_FIELDS = [
  "responseMimeType",
  "response_mime_type",
  "responseSchema",
  "response_schema",
  "responseJsonSchema",
  "response_json_schema",
] as const;

/**
 * Pairs functionCalls with functionResponses. Gemini ids are optional: a call without one gets `<name>-<n>` (stable
 * within the request); a response without one takes the oldest pending call of its name, else the oldest pending.
 */
class CallIds {
  #n = 0;
  readonly #pending: { id: string; name: string }[] = [];

  call(name: string, id: string | undefined): string {
    const callId = id ?? `${name}-${++this.#n}`;
    this.#pending.push({ id: callId, name });
    return callId;
  }

  result(name: string, id: string | undefined): string {
    let i = id !== undefined
      ? this.#pending.findIndex((p) => p.id === id)
      : this.#pending.findIndex((p) => p.name === name);
    if (i === -1 && id === undefined && this.#pending.length > 0) i = 0;
    if (i === -1) return id ?? `${name}-${++this.#n}`;
    const [p] = this.#pending.splice(i, 1);
    return p!.id;
  }
}

/** A Content's parts; a lone part object is taken as a list of one. */
function partsOf(c: JsonObject): JsonValue[] {
  return Array.isArray(c.parts) ? c.parts : isJsonObject(c.parts) ? [c.parts] : [];
}

function valueText(v: JsonValue | undefined): string {
  return v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * functionResponse → tool_result. `response.result` (CPA, ADK) or a lone `output` (Gemini CLI; the API's own
 * convention) is the content; a lone `error` marks a failure; any other object is the content as JSON.
 */
function toolResult(fr: JsonObject, ids: CallIds): IrToolResultPart {
  const name = stringAt(fr, "name", "name") ?? "";
  const callId = ids.result(name, stringAt(fr, "id", "id") || undefined);
  const response = fr.response;
  let text: string;
  let isError = false;
  if (isJsonObject(response)) {
    const keys = Object.keys(response);
    if (response.result !== undefined) text = valueText(response.result);
    else if (keys.length === 1 && response.output !== undefined) text = valueText(response.output);
    else if (keys.length === 1 && response.error !== undefined) {
      text = valueText(response.error);
      isError = true;
    } else text = JSON.stringify(response);
  } else text = valueText(response);
  // Multimodal function responses carry their images in `parts`.
  const media: (IrImagePart | IrFilePart)[] = [];
  for (const p of arrayAt(fr, "parts", "parts") ?? []) {
    const m = isJsonObject(p) ? mediaFromPart(p) : undefined;
    if (m) media.push(m);
  }
  const content = media.length > 0 ? [...(text !== "" ? [{ type: "text" as const, text }] : []), ...media] : text;
  const base = { type: "tool_result" as const, callId, content };
  const named = name !== "" ? { ...base, name } : base;
  return isError ? { ...named, isError } : named;
}

function readUserParts(parts: readonly JsonValue[], ids: CallIds): IrPart[] {
  const out: IrPart[] = [];
  for (const raw of parts) {
    if (!isJsonObject(raw)) continue;
    const fr = objectAt(raw, "functionResponse", "function_response");
    if (fr) {
      out.push(toolResult(fr, ids));
      continue;
    }
    if (typeof raw.text === "string") {
      // Thoughts only come from the model.
      if (raw.thought !== true && raw.text !== "") out.push({ type: "text", text: raw.text });
      continue;
    }
    const media = mediaFromPart(raw);
    if (media) out.push(media);
  }
  return out;
}

function parseContents(contents: readonly JsonValue[]): IrMessage[] {
  const ids = new CallIds();
  const callId = (name: string, id: string | undefined) => ids.call(name, id);
  const messages: IrMessage[] = [];
  for (const c of contents) {
    if (!isJsonObject(c)) continue;
    const parts = partsOf(c);
    // "function" and "tool" are older names for the turn that carries function responses.
    const assistant = c.role === "model" || c.role === "assistant";
    const content = assistant ? readModelParts(parts, callId) : readUserParts(parts, ids);
    if (content.length > 0) messages.push({ role: assistant ? "assistant" : "user", content });
  }
  return messages;
}

function parseSystem(v: JsonValue | undefined): IrTextPart[] {
  if (typeof v === "string") return v !== "" ? [{ type: "text", text: v }] : [];
  if (!isJsonObject(v)) return [];
  const out: IrTextPart[] = [];
  for (const p of partsOf(v)) {
    if (isJsonObject(p) && typeof p.text === "string" && p.thought !== true && p.text !== "") {
      out.push({ type: "text", text: p.text });
    }
  }
  return out;
}

/** Gemini's `parameters` use OpenAPI's upper-case type names (`OBJECT`); JSON Schema wants lower case. */
function lowerTypes(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(lowerTypes);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "type") {
      out[k] = typeof x === "string"
        ? x.toLowerCase()
        : Array.isArray(x)
        ? x.map((t) => typeof t === "string" ? t.toLowerCase() : t)
        : x;
    } else if (k === "properties" || k === "$defs" || k === "definitions") {
      if (isJsonObject(x)) {
        const props: JsonObject = {};
        for (const [name, s] of Object.entries(x)) props[name] = lowerTypes(s);
        out[k] = props;
      } else out[k] = x;
    } else if (k === "items" || k === "anyOf" || k === "oneOf" || k === "allOf" || k === "additionalProperties") {
      out[k] = lowerTypes(x);
    } else out[k] = x;
  }
  return out;
}

function parseTools(tools: readonly JsonValue[], extraTools: JsonValue[]): IrTool[] {
  const out: IrTool[] = [];
  for (const t of tools) {
    if (!isJsonObject(t)) continue;
    let rest: JsonObject | null = null;
    for (const [k, v] of Object.entries(t)) {
      if (k !== "functionDeclarations" && k !== "function_declarations") (rest ??= {})[k] = v;
    }
    // googleSearch, codeExecution, urlContext…: built-in tools only a Gemini upstream understands.
    if (rest) extraTools.push(rest);
    for (const d of arrayAt(t, "functionDeclarations", "function_declarations") ?? []) {
      if (!isJsonObject(d) || typeof d.name !== "string") continue;
      const jsonSchema = objectAt(d, "parametersJsonSchema", "parameters_json_schema");
      const openApi = jsonSchema ? undefined : objectAt(d, "parameters", "parameters");
      const parameters = jsonSchema ?? (openApi ? (lowerTypes(openApi) as JsonObject) : { type: "object" });
      const description = typeof d.description === "string" ? d.description : undefined;
      out.push(description !== undefined ? { name: d.name, description, parameters } : { name: d.name, parameters });
    }
  }
  return out;
}

function parseToolChoice(toolConfig: JsonObject | undefined): IrToolChoice | undefined {
  const fcc = toolConfig && objectAt(toolConfig, "functionCallingConfig", "function_calling_config");
  if (!fcc) return undefined;
  const mode = (stringAt(fcc, "mode", "mode") ?? "").toUpperCase();
  if (mode === "NONE") return { type: "none" };
  if (mode === "ANY") {
    const names = (arrayAt(fcc, "allowedFunctionNames", "allowed_function_names") ?? []).filter((n) =>
      typeof n === "string"
    );
    // Several allowed names cannot be said in the IR: any tool must be called.
    return names.length === 1 ? { type: "tool", name: names[0] as string } : { type: "required" };
  }
  if (mode === "AUTO" || mode === "VALIDATED") return { type: "auto" };
  return undefined;
}

function parseReasoning(gen: JsonObject): IrReasoning | undefined {
  const tc = objectAt(gen, "thinkingConfig", "thinking_config");
  if (!tc) return undefined;
  const r: { level?: IrReasoning["level"]; budget?: number; includeThoughts?: boolean } = {};
  const budget = numberAt(tc, "thinkingBudget", "thinking_budget");
  if (budget !== undefined) r.budget = Math.trunc(budget);
  const level = stringAt(tc, "thinkingLevel", "thinking_level")?.toLowerCase();
  if (isReasoningLevel(level)) r.level = level;
  const include = field(tc, "includeThoughts", "include_thoughts");
  if (typeof include === "boolean") r.includeThoughts = include;
  return Object.keys(r).length > 0 ? r : undefined;
}

function parseSampling(gen: JsonObject): IrSampling {
  const s: { -readonly [K in keyof IrSampling]: IrSampling[K] } = {};
  const temperature = numberAt(gen, "temperature", "temperature");
  if (temperature !== undefined) s.temperature = temperature;
  const topP = numberAt(gen, "topP", "top_p");
  if (topP !== undefined) s.topP = topP;
  const topK = numberAt(gen, "topK", "top_k");
  if (topK !== undefined) s.topK = topK;
  const maxTokens = numberAt(gen, "maxOutputTokens", "max_output_tokens");
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const stop = field(gen, "stopSequences", "stop_sequences");
  if (Array.isArray(stop)) s.stop = stop.filter((x): x is string => typeof x === "string");
  else if (typeof stop === "string") s.stop = [stop];
  const n = numberAt(gen, "candidateCount", "candidate_count");
  if (n !== undefined) s.n = n;
  const seed = numberAt(gen, "seed", "seed");
  if (seed !== undefined) s.seed = seed;
  const presence = numberAt(gen, "presencePenalty", "presence_penalty");
  if (presence !== undefined) s.presencePenalty = presence;
  const frequency = numberAt(gen, "frequencyPenalty", "frequency_penalty");
  if (frequency !== undefined) s.frequencyPenalty = frequency;
  return s;
}

/** JSON output: `responseJsonSchema` is JSON Schema already; the older `responseSchema` is OpenAPI-typed. */
function parseResponseFormat(gen: JsonObject): IrResponseFormat | undefined {
  const mime = stringAt(gen, "responseMimeType", "response_mime_type")?.toLowerCase();
  if (mime !== "application/json") return undefined;
  const jsonSchema = objectAt(gen, "responseJsonSchema", "response_json_schema");
  const openApi = objectAt(gen, "responseSchema", "response_schema");
  const schema = jsonSchema ?? (openApi ? (lowerTypes(openApi) as JsonObject) : undefined);
  return schema ? { type: "json_schema", schema } : { type: "json_object" };
}

export function parseRequest(input: JsonObject): IrRequest {
  // countTokens may wrap a whole generateContent request.
  const body = objectAt(input, "generateContentRequest", "generate_content_request") ?? input;
  const rawContents = body.contents;
  const contents = Array.isArray(rawContents)
    ? rawContents
    : isJsonObject(rawContents)
    ? [rawContents]
    : typeof rawContents === "string" && rawContents !== ""
    ? [{ role: "user", parts: [{ text: rawContents }] }]
    : [];
  if (contents.length === 0) {
    throw new ProxyError(400, "bad_request", "Invalid Gemini request: contents must be a non-empty array");
  }

  const extra: JsonObject = {};
  for (const [k, v] of Object.entries(body)) if (!KNOWN_FIELDS.has(k)) extra[k] = v;
  const extraTools: JsonValue[] = [];
  const tools = parseTools(arrayAt(body, "tools", "tools") ?? [], extraTools);
  if (extraTools.length > 0) extra.tools = extraTools;

  const toolConfig = objectAt(body, "toolConfig", "tool_config");
  if (toolConfig) {
    const rest: JsonObject = {};
    for (const [k, v] of Object.entries(toolConfig)) {
      if (k !== "functionCallingConfig" && k !== "function_calling_config") rest[k] = v;
    }
    if (Object.keys(rest).length > 0) extra.toolConfig = rest;
  }

  const gen = objectAt(body, "generationConfig", "generation_config") ?? {};
  const responseFormat = parseResponseFormat(gen);
  const genRest: JsonObject = {};
  for (const [k, v] of Object.entries(gen)) {
    if (KNOWN_GENERATION_FIELDS.has(k)) continue;
    if (responseFormat && (RESPONSE_FORMAT_FIELDS as readonly string[]).includes(k)) continue;
    genRest[k] = v;
  }
  if (Object.keys(genRest).length > 0) extra.generationConfig = genRest;

  const model = typeof body.model === "string" ? body.model.replace(/^models\//, "") : "";
  const toolChoice = parseToolChoice(toolConfig);
  const reasoning = parseReasoning(gen);
  const ir: { -readonly [K in keyof IrRequest]: IrRequest[K] } = {
    model,
    stream: false,
    system: parseSystem(field(body, "systemInstruction", "system_instruction")),
    messages: parseContents(contents),
    tools,
    sampling: parseSampling(gen),
    extra: Object.keys(extra).length > 0 ? { format: "gemini", fields: extra } : null,
  };
  if (toolChoice) ir.toolChoice = toolChoice;
  if (reasoning) ir.reasoning = reasoning;
  if (responseFormat) ir.responseFormat = responseFormat;
  return ir;
}

// ---------------------------------------------------------------------------------------------------------------
// Render

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const INVALID_NAME_CHARS = /[^A-Za-z0-9_.:-]/gu;

/**
 * A function name Gemini accepts: `[A-Za-z0-9_.:-]`, starting with a letter or `_`, at most 64 characters (CPA's
 * `SanitizeFunctionName`).
 */
export function sanitizeFunctionName(name: string): string {
  // Fast path: nearly every tool name is valid already.
  if (VALID_NAME.test(name) || name === "") return name;
  let s = name.replace(INVALID_NAME_CHARS, "_");
  if (!/^[A-Za-z_]/.test(s)) s = `_${s.slice(0, 63)}`;
  return s.length > 64 ? s.slice(0, 64) : s;
}

/** CPA's default: every harm category unfiltered. */
const DEFAULT_SAFETY_SETTINGS: readonly JsonObject[] = Object.freeze([
  { category: "HARM_CATEGORY_HARASSMENT", threshold: "OFF" },
  { category: "HARM_CATEGORY_HATE_SPEECH", threshold: "OFF" },
  { category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", threshold: "OFF" },
  { category: "HARM_CATEGORY_DANGEROUS_CONTENT", threshold: "OFF" },
  { category: "HARM_CATEGORY_CIVIC_INTEGRITY", threshold: "BLOCK_NONE" },
]);

/** A type alias, not an interface, so a Content is a JsonObject as it stands. */
type Content = { role: "user" | "model"; parts: JsonObject[] };

/** The call's name for a result: CPA derives it from ids shaped `<name>-<n>` when the call is not in the history. */
function nameFromId(id: string): string {
  const dash = id.lastIndexOf("-");
  return dash > 0 ? id.slice(0, dash) : id;
}

function resultParts(r: IrToolResultPart | undefined, name: string): JsonObject[] {
  let text = "{}"; // CPA's placeholder for a call the client never answered
  const media: JsonObject[] = [];
  if (r) {
    if (typeof r.content === "string") text = r.content;
    else {
      const texts: string[] = [];
      for (const p of r.content) {
        if (p.type === "text") texts.push(p.text);
        else media.push(mediaToPart(p.source));
      }
      text = texts.join("\n");
    }
  }
  // Images cannot ride in the response object on every model: they follow it as parts of the same turn (CPA).
  const response: JsonObject = r?.isError ? { error: text } : { result: text };
  return [{ functionResponse: { name: sanitizeFunctionName(name), response } }, ...media];
}

function modelPart(p: IrPart, firstCall: boolean): JsonObject | null {
  switch (p.type) {
    case "text":
      return p.text !== "" ? { text: p.text } : null;
    case "thinking":
      // Only Gemini's own signatures replay; unsigned or foreign thinking cannot be sent back (Gemini would reject it).
      return p.signatureFormat === "gemini" && p.signature && !p.redacted
        ? { text: p.text, thought: true, thoughtSignature: p.signature }
        : null;
    case "tool_call": {
      const part: JsonObject = {
        functionCall: { name: sanitizeFunctionName(p.name), args: argumentsObject(p.arguments) },
      };
      // Gemini 3 validates the first call of a turn; parallel calls after it are unsigned natively (CPA's sanitizer).
      if (p.signature && p.signature !== "") part.thoughtSignature = p.signature;
      else if (firstCall) part.thoughtSignature = SKIP_SIGNATURE;
      return part;
    }
    case "image":
    case "file":
      return mediaToPart(p.source);
    case "tool_result":
      return null;
  }
}

function userPart(p: IrPart): JsonObject | null {
  switch (p.type) {
    case "text":
      return p.text !== "" ? { text: p.text } : null;
    case "image":
    case "file":
      return mediaToPart(p.source);
    default:
      return null;
  }
}

/**
 * IR messages → `contents`. Function responses are moved right after the model turn that made the calls (one
 * response per call, `{}` for an unanswered one), because Gemini requires the counts and order to match; turns of
 * one role in a row merge; a trailing model turn with unanswered calls is dropped and a leading model turn gets an
 * empty user turn before it (CPA).
 */
function renderContents(messages: readonly IrMessage[]): Content[] {
  const callNames = new Map<string, string>();
  for (const m of messages) {
    if (m.role !== "assistant") continue;
    for (const p of m.content) if (p.type === "tool_call") callNames.set(p.id, p.name);
  }
  const results = new Map<string, IrToolResultPart>();
  for (const m of messages) {
    if (m.role !== "user") continue;
    for (const p of m.content) {
      if (p.type === "tool_result" && callNames.has(p.callId) && !results.has(p.callId)) results.set(p.callId, p);
    }
  }

  const out: Content[] = [];
  const push = (role: Content["role"], parts: JsonObject[]): void => {
    if (parts.length === 0) return;
    const last = out[out.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  };
  const placed = new Set<IrToolResultPart>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const parts: JsonObject[] = [];
    if (m.role === "assistant") {
      const calls: IrToolCallPart[] = [];
      for (const p of m.content) {
        const part = modelPart(p, p.type === "tool_call" && calls.length === 0);
        if (part) parts.push(part);
        if (p.type === "tool_call") calls.push(p);
      }
      push("model", parts);
      if (calls.length === 0 || i === messages.length - 1) continue;
      const responses: JsonObject[] = [];
      for (const c of calls) {
        const r = results.get(c.id);
        if (r) placed.add(r);
        responses.push(...resultParts(r, c.name));
      }
      push("user", responses);
      continue;
    }
    for (const p of m.content) {
      if (p.type === "tool_result") {
        if (placed.has(p)) continue;
        // A result whose call is not in the history: keep it where it is.
        parts.push(...resultParts(p, p.name ?? callNames.get(p.callId) ?? nameFromId(p.callId)));
        continue;
      }
      const part = userPart(p);
      if (part) parts.push(part);
    }
    push("user", parts);
  }

  const last = out[out.length - 1];
  if (last?.role === "model" && last.parts.some((p) => p.functionCall !== undefined)) out.pop();
  if (out[0]?.role === "model") out.unshift({ role: "user", parts: [{ text: "" }] });
  return out;
}

/** Gemini 3 takes levels; it has no "xhigh"/"max", and "none"/"auto" are budgets (0 / dynamic). */
function thinkingConfig(r: IrReasoning): JsonObject | undefined {
  const tc: JsonObject = {};
  let on = true;
  if (r.budget !== undefined) {
    tc.thinkingBudget = r.budget;
    on = r.budget !== 0;
  } else if (r.level === "none") {
    tc.thinkingBudget = 0;
    on = false;
  } else if (r.level === "auto") tc.thinkingBudget = -1;
  else if (r.level !== undefined) tc.thinkingLevel = r.level === "xhigh" || r.level === "max" ? "high" : r.level;
  if (on) tc.includeThoughts = r.includeThoughts ?? true;
  return Object.keys(tc).length > 0 ? tc : undefined;
}

function generationConfig(ir: IrRequest, base: JsonObject | undefined): JsonObject | undefined {
  const g: JsonObject = base ? { ...base } : {};
  const s = ir.sampling;
  if (s.temperature !== undefined) g.temperature = s.temperature;
  if (s.topP !== undefined) g.topP = s.topP;
  if (s.topK !== undefined) g.topK = s.topK;
  if (s.maxTokens !== undefined) g.maxOutputTokens = s.maxTokens;
  if (s.stop !== undefined && s.stop.length > 0) g.stopSequences = [...s.stop];
  if (s.n !== undefined && s.n > 1) g.candidateCount = s.n;
  if (s.seed !== undefined) g.seed = s.seed;
  if (s.presencePenalty !== undefined) g.presencePenalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) g.frequencyPenalty = s.frequencyPenalty;
  const rf = ir.responseFormat;
  if (rf && rf.type !== "text") {
    g.responseMimeType = "application/json";
    if (rf.type === "json_schema" && rf.schema) g.responseJsonSchema = rf.schema;
  }
  const tc = ir.reasoning && thinkingConfig(ir.reasoning);
  if (tc) g.thinkingConfig = tc;
  return Object.keys(g).length > 0 ? g : undefined;
}

function toolConfig(choice: IrToolChoice): JsonObject {
  switch (choice.type) {
    case "auto":
      return { functionCallingConfig: { mode: "AUTO" } };
    case "none":
      return { functionCallingConfig: { mode: "NONE" } };
    case "required":
      return { functionCallingConfig: { mode: "ANY" } };
    case "tool":
      return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [sanitizeFunctionName(choice.name)] } };
  }
}

export function renderRequest(ir: IrRequest, _ctx: RenderContext): JsonObject {
  // Fields only a Gemini client could have sent (safety settings, built-in tools, cachedContent…) go back as they came.
  const extra: JsonObject = {};
  if (ir.extra?.format === "gemini") { for (const [k, v] of Object.entries(ir.extra.fields)) extra[camelKey(k)] = v; }

  const contents = renderContents(ir.messages);
  const system: JsonObject[] = ir.system.filter((p) => p.text !== "").map((p) => ({ text: p.text }));
  const body: JsonObject = {};
  if (contents.length === 0 && system.length > 0) {
    // Gemini needs contents: a system-only request becomes the user turn (CPA).
    contents.push({ role: "user", parts: system });
  } else if (system.length > 0) body.systemInstruction = { role: "user", parts: system };
  body.contents = contents;

  const tools: JsonValue[] = [];
  if (ir.tools.length > 0) {
    tools.push({
      functionDeclarations: ir.tools.map((t) => {
        const decl: JsonObject = { name: sanitizeFunctionName(t.name) };
        if (t.description !== undefined) decl.description = t.description;
        decl.parametersJsonSchema = cleanSchemaForGemini(t.parameters);
        return decl;
      }),
    });
  }
  if (Array.isArray(extra.tools)) tools.push(...extra.tools);
  if (tools.length > 0) body.tools = tools;

  const baseToolConfig = isJsonObject(extra.toolConfig) ? extra.toolConfig : undefined;
  if (ir.toolChoice) body.toolConfig = { ...baseToolConfig, ...toolConfig(ir.toolChoice) };
  else if (baseToolConfig) body.toolConfig = baseToolConfig;

  const gen = generationConfig(ir, isJsonObject(extra.generationConfig) ? extra.generationConfig : undefined);
  if (gen) body.generationConfig = gen;

  for (const [k, v] of Object.entries(extra)) {
    if (body[k] === undefined && k !== "tools" && k !== "toolConfig" && k !== "generationConfig") body[k] = v;
  }
  body.safetySettings ??= DEFAULT_SAFETY_SETTINGS.map((s) => ({ ...s }));
  return body;
}
