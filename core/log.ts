/**
 * A small leveled logger. Lines look like `2026-11-25T22:00:00.000Z INFO  [tag] message`.
 *
 * Sinks are swappable so a plugin (request logger, file logging) can redirect output without the core knowing it.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const LEVEL_LABEL: Record<LogLevel, string> = { debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR" };

export type LogSink = (level: LogLevel, line: string) => void;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines carry `tag` after this one's. */
  child(tag: string): Logger;
  /** Whether `debug` lines are written; check it before building an expensive message. */
  readonly debugEnabled: boolean;
}

/** Shared by a logger and its children, so a level or sink change reaches all of them. */
export class LogOutput {
  #rank = LEVEL_RANK.info;
  sink: LogSink;
  /** Additional sinks (a plugin writing `main.log`); each line goes to the main sink and to every one of these. */
  readonly #extra = new Set<LogSink>();

  constructor(level: LogLevel = "info", sink: LogSink = defaultSink) {
    this.#rank = LEVEL_RANK[level];
    this.sink = sink;
  }

  /** Adds a sink; returns its removal. */
  addSink(sink: LogSink): () => void {
    this.#extra.add(sink);
    return () => this.#extra.delete(sink);
  }

  /** @internal Writes one formatted line to every sink. */
  write(level: LogLevel, line: string): void {
    this.sink(level, line);
    // Fast path: no extra sinks, no iteration.
    if (this.#extra.size === 0) return;
    for (const s of this.#extra) {
      try {
        s(level, line);
      } catch {
        // A failing extra sink must not take logging (or the request) down with it.
      }
    }
  }

  set level(level: LogLevel) {
    this.#rank = LEVEL_RANK[level];
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#rank;
  }
}

function defaultSink(_level: LogLevel, line: string): void {
  // stderr keeps stdout free for whatever a wrapper script wants to print.
  console.error(line);
}

class TaggedLogger implements Logger {
  readonly #out: LogOutput;
  readonly #prefix: string;

  constructor(out: LogOutput, tags: string) {
    this.#out = out;
    this.#prefix = tags;
  }

  get debugEnabled(): boolean {
    return this.#out.enabled("debug");
  }

  #write(level: LogLevel, message: string): void {
    if (!this.#out.enabled(level)) return;
    this.#out.write(level, `${new Date().toISOString()} ${LEVEL_LABEL[level]} ${this.#prefix}${message}`);
  }

  debug(message: string): void {
    this.#write("debug", message);
  }
  info(message: string): void {
    this.#write("info", message);
  }
  warn(message: string): void {
    this.#write("warn", message);
  }
  error(message: string): void {
    this.#write("error", message);
  }
  child(tag: string): Logger {
    return new TaggedLogger(this.#out, `${this.#prefix}[${tag}] `);
  }
}

export function createLogger(out: LogOutput = new LogOutput(), tag?: string): Logger {
  return new TaggedLogger(out, tag ? `[${tag}] ` : "");
}

/** Masks a secret for logs: keeps a short head and tail so two keys can be told apart. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return "****";
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}
