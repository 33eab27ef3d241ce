import type { StreamPart } from '@heylook/core';
import type { FastifyReply } from 'fastify';
import { toOllamaError } from './ollama-error.js';

/** Writes a model stream as NDJSON (one object per line). A late error becomes an `{error}` line. */
export async function streamNdjson(reply: FastifyReply, parts: AsyncIterable<StreamPart>, map: (part: StreamPart) => object[]): Promise<FastifyReply> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  const write = (value: object) => {
    if (!raw.writableEnded && !raw.destroyed) raw.write(`${JSON.stringify(value)}\n`);
  };
  try {
    for await (const part of parts) for (const line of map(part)) write(line);
  } catch (error) {
    write(toOllamaError(error).body);
    reply.log.warn({ err: error }, 'stream failed after it started');
  } finally {
    if (!raw.writableEnded) raw.end();
  }
  return reply;
}
