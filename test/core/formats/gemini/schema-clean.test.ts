/**
 * `cleanSchemaForGemini()`: tool schemas as Claude Code, MCP servers and OpenAI SDK users write them, reduced to what
 * Gemini's `parametersJsonSchema` accepts, with the lost constraints kept as description hints.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanSchemaForGemini } from "../../../../core/formats/gemini/schema-clean.ts";
import { sanitizeFunctionName } from "../../../../core/formats/gemini/request.ts";
import type { JsonObject, JsonValue } from "../../../../core/formats/wire-format.ts";

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const ALLOWED = new Set([
  "type",
  "format",
  "description",
  "enum",
  "properties",
  "required",
  "items",
  "minimum",
  "maximum",
  "minProperties",
  "maxProperties",
  "propertyOrdering",
]);

/** Every schema node holds only keywords Gemini takes; property names may be anything. */
function assertOnlyAllowed(node: JsonValue, path = "$"): void {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return;
  for (const [k, v] of Object.entries(node)) {
    assert.ok(ALLOWED.has(k), `${path}.${k} is not a Gemini schema keyword`);
    if (k === "properties") {
      for (const [name, s] of Object.entries(v as JsonObject)) assertOnlyAllowed(s, `${path}.properties.${name}`);
    }
    if (k === "items") assertOnlyAllowed(v, `${path}.items`);
  }
}

describe("cleanSchemaForGemini()", () => {
  test("inlines local $refs from $defs and cuts a cycle with a See: hint", () => {
    const schema: JsonObject = {
      type: "object",
      $defs: {
        Node: {
          type: "object",
          description: "A tree node",
          properties: { value: { type: "string" }, child: { $ref: "#/$defs/Node" } },
        },
      },
      properties: { root: { $ref: "#/$defs/Node" }, missing: { $ref: "#/$defs/Nope", description: "gone" } },
    };
    assert.deepEqual(cleanSchemaForGemini(schema), {
      type: "object",
      properties: {
        root: {
          type: "object",
          description: "A tree node",
          properties: { value: { type: "string" }, child: { type: "object", description: "A tree node (See: Node)" } },
        },
        missing: { type: "object", description: "gone (See: Nope)" },
      },
    });
  });

  test("anyOf/oneOf keep the most structured branch, a union of constants is one enum; a null branch or null type makes the property optional", () => {
    const schema: JsonObject = {
      type: "object",
      properties: {
        filter: {
          description: "Filter",
          anyOf: [{ type: "string" }, { type: "object", properties: { q: { type: "string" } } }, { type: "null" }],
        },
        count: { type: ["integer", "null"] },
        mode: { oneOf: [{ const: "fast" }, { const: "slow" }] },
      },
      required: ["filter", "count", "mode"],
    };
    assert.deepEqual(cleanSchemaForGemini(schema), {
      type: "object",
      properties: {
        filter: {
          type: "object",
          description: "Filter (Accepts: string | object | null)",
          properties: { q: { type: "string" } },
        },
        count: { type: "integer", description: "(nullable)" },
        mode: { type: "string", enum: ["fast", "slow"], description: "Allowed: fast, slow" },
      },
      required: ["mode"],
    });
  });

  test("allOf branches fill in properties and required; then/else properties become optional ones", () => {
    const schema: JsonObject = {
      type: "object",
      allOf: [
        { properties: { a: { type: "string" } }, required: ["a"] },
        { properties: { b: { type: "number", exclusiveMinimum: 0 } }, required: ["b"] },
      ],
      if: { properties: { a: { const: "x" } } },
      then: { properties: { c: { type: "boolean" } } },
    };
    assert.deepEqual(cleanSchemaForGemini(schema), {
      type: "object",
      properties: {
        a: { type: "string" },
        b: { type: "number", description: "exclusiveMinimum: 0" },
        c: { type: "boolean" },
      },
      required: ["a", "b"],
    });
  });

  test("MCP quirks: a bare property map is wrapped and boolean required moves to the parent", () => {
    const schema: JsonObject = {
      type: "object",
      properties: { task: { type: "string", required: true }, notes: { type: "string", required: false } },
      workspace: { type: "string", description: "Workspace id" },
    };
    assert.deepEqual(cleanSchemaForGemini(schema), {
      type: "object",
      properties: {
        task: { type: "string" },
        notes: { type: "string" },
        workspace: { type: "string", description: "Workspace id" },
      },
      required: ["task"],
    });
  });

  test("property names spelled like keywords are kept; tuple items become one schema; x- extensions go", () => {
    const schema: JsonObject = {
      type: "object",
      "x-google-enum-descriptions": ["a"],
      properties: {
        type: { type: "string" },
        properties: { type: "object", properties: { format: { type: "string", format: "uri" } } },
        pair: { type: "array", items: [{ type: "number" }, { type: "string" }], minItems: 2 },
      },
    };
    assert.deepEqual(cleanSchemaForGemini(schema), {
      type: "object",
      properties: {
        type: { type: "string" },
        properties: { type: "object", properties: { format: { type: "string", description: "format: uri" } } },
        pair: { type: "array", items: { type: "number" }, description: "minItems: 2" },
      },
    });
  });

  test("does not modify its input, is idempotent, and leaves only Gemini keywords", () => {
    const schema = deepFreeze<JsonObject>({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:tool",
      title: "Edit",
      type: "object",
      additionalProperties: false,
      properties: {
        file_path: { type: "string", pattern: "^/", description: "Absolute path", deprecated: false },
        edits: {
          type: "array",
          uniqueItems: true,
          items: {
            type: "object",
            additionalProperties: { type: "string" },
            propertyNames: { pattern: "^[a-z]+$" },
            properties: { old: { type: "string", default: "" }, new: { type: "string", examples: ["x"] } },
            required: ["old", "new"],
          },
        },
        level: { type: "integer", minimum: 0, maximum: 5, multipleOf: 1, enum: [0, 1, 5], nullable: true },
      },
      required: ["file_path", "edits"],
      $comment: "generated",
    });
    const once = cleanSchemaForGemini(schema);
    assertOnlyAllowed(once);
    assert.deepEqual(cleanSchemaForGemini(once), once);
    assert.equal(
      (once.properties as JsonObject).file_path &&
        ((once.properties as JsonObject).file_path as JsonObject).description,
      "Absolute path (pattern: ^/)",
    );
    assert.deepEqual((once.properties as JsonObject).level, {
      type: "string",
      description: "Allowed: 0, 1, 5 (multipleOf: 1)",
      enum: ["0", "1", "5"],
      minimum: 0,
      maximum: 5,
    });
  });

  test("an empty or non-object root becomes an empty object schema", () => {
    assert.deepEqual(cleanSchemaForGemini({}), { type: "object", properties: {} });
    assert.deepEqual(cleanSchemaForGemini({ properties: { a: { type: "string" } } }), {
      type: "object",
      properties: { a: { type: "string" } },
    });
  });
});

describe("sanitizeFunctionName()", () => {
  test("keeps valid names and repairs the rest as CPA does", () => {
    assert.equal(sanitizeFunctionName("mcp__github__create_issue"), "mcp__github__create_issue");
    assert.equal(sanitizeFunctionName("ns.tool:v2-beta"), "ns.tool:v2-beta");
    assert.equal(sanitizeFunctionName("my tool!"), "my_tool_");
    assert.equal(sanitizeFunctionName("9lives"), "_9lives");
    assert.equal(sanitizeFunctionName("wetter_für_ort"), "wetter_f_r_ort");
    assert.equal(sanitizeFunctionName("👍ok"), "_ok");
    assert.equal(sanitizeFunctionName("a".repeat(70)), "a".repeat(64));
    assert.equal(sanitizeFunctionName("-" + "b".repeat(70)), "_-" + "b".repeat(62));
  });
});
