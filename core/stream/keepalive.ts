/** Keep-alives: SSE comments while an upstream stream is silent, and newlines while a non-stream answer is pending. */

export const KEEPALIVE_TICK = Symbol("keepalive");

const utf8 = new TextEncoder();

/**
 * `streaming.keepalive-seconds` for one stream: a single timer, not a race per read. The stream counts its writes
 * (`wrote()`, one increment per chunk); every `ms` the timer sends a comment if nothing was written since its last
 * tick and `canSend()` allows it (an event boundary, before the terminal event). So a silence of `ms`..`2·ms` gets a
 * comment, and a busy stream pays one integer increment per chunk.
 */
export class StreamKeepalive {
  #writes = 0;
  #seen = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ms: number, send: () => void, canSend: () => boolean) {
    this.#timer = setInterval(() => {
      if (this.#writes === this.#seen && canSend()) send();
      this.#seen = this.#writes;
    }, ms);
  }

  /** A chunk went to the client. */
  wrote(): void {
    this.#writes++;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * `nonstream-keepalive-interval`: write `\n` every interval while the upstream works, then the JSON. A client that
 * parses JSON ignores the leading whitespace. Nothing is sent before the first interval has passed, so an answer or
 * error that comes sooner keeps its own status; after that the status is committed as 200 and an error is written as
 * the JSON body (CLIProxyAPI's ticker behaves the same way).
 */
export async function withNonStreamKeepalive(ms: number, answer: Promise<Response>): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<typeof KEEPALIVE_TICK>((resolve) => {
    timer = setTimeout(resolve, ms, KEEPALIVE_TICK);
  });
  const first = await Promise.race([answer, tick]).finally(() => clearTimeout(timer));
  if (first !== KEEPALIVE_TICK) return first;
  const newline = utf8.encode("\n");
  let interval: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(newline.slice());
      interval = setInterval(() => controller.enqueue(newline.slice()), ms);
      answer
        .then((res) => res.arrayBuffer())
        .then((buf) => {
          clearInterval(interval);
          controller.enqueue(new Uint8Array(buf));
          controller.close();
        })
        .catch((err) => {
          clearInterval(interval);
          controller.error(err);
        });
    },
    cancel() {
      clearInterval(interval);
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
  });
}
