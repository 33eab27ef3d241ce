import { SseWriter as RawSseWriter } from '@heylook/core';
import type { FastifyReply } from 'fastify';

/**
 * Server-sent events on a fastify reply: hijacks it and writes through core's SseWriter.
 * While nothing is written (a model reading a long prompt), a comment line goes out every
 * `keepAliveMs` so proxies don't time out.
 */
export class SseWriter extends RawSseWriter {
  constructor(
    private readonly reply: FastifyReply,
    keepAliveMs: number,
  ) {
    super(reply.raw, { keepAliveMs });
  }

  override start(): void {
    this.reply.hijack();
    super.start();
  }
}
