/**
 * The gate's calibration case: a fixed, CPU-bound, pure-JS workload whose speed tracks the machine and the JS engine
 * but not Switchyard's code. The gate divides every case's mean by this case's mean (measured in the same process,
 * before and after the suites), so a slower or busier machine shifts both alike and a real regression stands out.
 *
 * The mix mirrors what the hot paths do: JSON parse/stringify of a small chat body, a string scan, a byte scan over a
 * Uint8Array, and short-lived allocations. It must never change: a different workload invalidates every baseline
 * figure (the gate refuses to compare when `CALIBRATION_ID` differs from the baseline's).
 *
 * @module
 */

/** Bump together with a baseline re-record if the workload below ever has to change. */
export const CALIBRATION_ID = "json-string-bytes-v1";

const utf8 = new TextEncoder();

const DOC = JSON.stringify({
  model: "gpt-4o-2024-08-06",
  stream: true,
  temperature: 0.7,
  messages: [
    { role: "system", content: "You are a helpful assistant. Answer briefly and precisely." },
    { role: "user", content: "What is the capital of France, and which river runs through it? Café, résumé, 日本語." },
    { role: "assistant", content: "Paris, on the Seine." },
    { role: "user", content: "And how long is that river, roughly, in kilometres? Give one number." },
  ],
  tools: [
    {
      type: "function",
      function: {
        name: "lookup",
        description: "Looks a fact up",
        parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      },
    },
  ],
});
const BYTES = utf8.encode(DOC.repeat(2));

/** One calibration unit (~25 µs on Deno on a 2-core EPYC VM). Returns a number so the work cannot be dropped. */
export function calibrationWorkload(): number {
  let acc = 0;
  for (let round = 0; round < 3; round++) {
    const obj = JSON.parse(DOC) as { messages: { content: string }[]; temperature: number };
    obj.temperature = round;
    obj.messages[1]!.content += String(round);
    const text = JSON.stringify(obj);
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x22) acc++;
    acc += text.indexOf('"content"', round * 8);
    const parts = text.split(",");
    acc += parts.length;
  }
  // Byte-level scan for line feeds and braces, as an SSE framer does.
  for (let i = 0; i < BYTES.length; i++) {
    const b = BYTES[i]!;
    if (b === 0x7b || b === 0x0a) acc += i & 7;
  }
  return acc;
}
