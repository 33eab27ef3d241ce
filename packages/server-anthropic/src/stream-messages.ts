import { ContentBlockSequencer, SseWriter, type StreamPart } from '@heylook/core';
import type { FastifyReply } from 'fastify';
import { toAnthropicError } from './anthropic-error.js';
import type { MessageEventMapper } from './to-anthropic-message.js';

/**
 * Writes a model stream as the Messages API's SSE events, with `ping` events while the
 * model is quiet. An error after the headers went out becomes an `error` event, as
 * Anthropic sends it (the SDKs throw it as an APIError), and the stream ends.
 */
export async function streamMessages(
  reply: FastifyReply,
  parts: AsyncIterable<StreamPart>,
  mapper: MessageEventMapper,
  options: { keepAliveMs?: number; inputTokens?: number; headers?: Record<string, string> },
): Promise<FastifyReply> {
  reply.hijack();
  const sse = new SseWriter(reply.raw, {
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    keepAlive: { event: 'ping', data: { type: 'ping' } },
  });
  sse.start(options.headers);
  const sequencer = new ContentBlockSequencer();
  try {
    for (const message of mapper.start(options.inputTokens)) sse.send(message.data, message.event);
    for await (const part of parts) {
      for (const blockEvent of sequencer.push(part)) {
        if (blockEvent.type === 'error') throw blockEvent.error;
        for (const message of mapper.map(blockEvent)) sse.send(message.data, message.event);
      }
    }
  } catch (error) {
    sse.send(toAnthropicError(error).body, 'error');
    reply.log.warn({ err: error }, 'stream failed after it started');
  } finally {
    sse.end();
  }
  return reply;
}
