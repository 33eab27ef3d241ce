import type { FastifyReply } from 'fastify';

/**
 * Server-sent events on a hijacked reply. While nothing is written (a model reading a
 * long prompt), a comment line goes out every `keepAliveMs` so proxies don't time out.
 */
export class SseWriter {
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;

  constructor(
    private readonly reply: FastifyReply,
    private readonly keepAliveMs: number,
  ) {}

  start(): void {
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.#lastWrite = Date.now();
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastWrite >= this.keepAliveMs) this.#write(': keep-alive\n\n');
    }, Math.max(10, Math.floor(this.keepAliveMs / 2)));
    this.#timer.unref();
  }

  /** One event; `event` names it (`event: <name>` line), as typed SSE streams such as the Responses API do. */
  send(data: object | string, event?: string): void {
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    this.#write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
  }

  end(): void {
    clearInterval(this.#timer);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  #write(text: string): void {
    if (this.reply.raw.writableEnded || this.reply.raw.destroyed) return;
    this.#lastWrite = Date.now();
    this.reply.raw.write(text);
  }
}
