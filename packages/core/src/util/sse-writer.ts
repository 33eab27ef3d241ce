/** The part of Node's ServerResponse the SSE writer needs (core stays free of HTTP frameworks). */
export interface SseTarget {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): unknown;
  end(): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

export interface SseWriterOptions {
  /** Longest quiet time before a keep-alive goes out (a model reading a long prompt); default 10 s. */
  keepAliveMs?: number;
  /**
   * What a keep-alive is: a comment line by default, or a named event with data (Anthropic
   * sends `event: ping`, which its SDKs expect and skip).
   */
  keepAlive?: { event: string; data: object };
}

/**
 * Server-sent events on a raw response. Frames are `data:` lines, with an `event:` line
 * when the protocol names its events (Anthropic Messages, OpenAI Responses). While nothing
 * is written, a keep-alive goes out every `keepAliveMs` so proxies and clients don't time out.
 */
export class SseWriter {
  readonly #target: SseTarget;
  readonly #keepAliveMs: number;
  readonly #keepAliveFrame: string;
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;

  constructor(target: SseTarget, options: SseWriterOptions = {}) {
    this.#target = target;
    this.#keepAliveMs = options.keepAliveMs ?? 10_000;
    this.#keepAliveFrame = options.keepAlive ? frame(options.keepAlive.data, options.keepAlive.event) : ': keep-alive\n\n';
  }

  /** Sends the 200 status and SSE headers, and starts the keep-alive timer. */
  start(headers: Record<string, string> = {}): void {
    this.#target.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.#lastWrite = Date.now();
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastWrite >= this.#keepAliveMs) this.#write(this.#keepAliveFrame);
    }, Math.max(10, Math.floor(this.#keepAliveMs / 2)));
    this.#timer.unref();
  }

  /** One event: `data` as JSON (strings as they are), named by `event` when given. */
  send(data: object | string, event?: string): void {
    this.#write(frame(data, event));
  }

  end(): void {
    clearInterval(this.#timer);
    if (!this.#target.writableEnded) this.#target.end();
  }

  #write(text: string): void {
    if (this.#target.writableEnded || this.#target.destroyed) return;
    this.#lastWrite = Date.now();
    this.#target.write(text);
  }
}

function frame(data: object | string, event: string | undefined): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}
