import type { StreamPart } from '@heylook/core';
import type { FastifyReply } from 'fastify';
import { toOpenAIError } from './openai-error.js';
import { SseWriter } from './sse-writer.js';

/**
 * Writes a model stream as OpenAI SSE: mapped chunks, then `data: [DONE]`. An error after
 * the headers went out is sent as an `{error}` event, as OpenAI does, and the stream ends.
 */
export async function streamSse<Part = StreamPart>(
  reply: FastifyReply,
  parts: AsyncIterable<Part>,
  map: (part: Part) => object[],
  keepAliveMs = 10_000,
): Promise<FastifyReply> {
  const sse = new SseWriter(reply, keepAliveMs);
  sse.start();
  try {
    for await (const part of parts) {
      for (const chunk of map(part)) sse.send(chunk);
    }
    sse.send('[DONE]');
  } catch (error) {
    sse.send(toOpenAIError(error).body);
    reply.log.warn({ err: error }, 'stream failed after it started');
  } finally {
    sse.end();
  }
  return reply;
}
