import { describe, expect, it } from 'vitest';
import { SseWriter, type SseTarget } from './sse-writer.js';

function target() {
  const written: string[] = [];
  const sink: SseTarget & { written: string[]; status?: number; headers?: Record<string, string> } = {
    written,
    writableEnded: false,
    destroyed: false,
    writeHead(status, headers) {
      sink.status = status;
      sink.headers = headers;
    },
    write(chunk) {
      written.push(chunk);
    },
    end() {
      (sink as { writableEnded: boolean }).writableEnded = true;
    },
  };
  return sink;
}

describe('SseWriter', () => {
  it('writes data frames, named events and extra headers', () => {
    const sink = target();
    const sse = new SseWriter(sink);
    sse.start({ 'request-id': 'r1' });
    sse.send({ a: 1 });
    sse.send({ type: 'ping' }, 'ping');
    sse.send('[DONE]');
    sse.end();
    sse.send('late');
    expect(sink.status).toBe(200);
    expect(sink.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'r1' });
    expect(sink.written).toEqual(['data: {"a":1}\n\n', 'event: ping\ndata: {"type":"ping"}\n\n', 'data: [DONE]\n\n']);
  });

  it('sends the configured keep-alive while the stream is quiet', async () => {
    const sink = target();
    const sse = new SseWriter(sink, { keepAliveMs: 10, keepAlive: { event: 'ping', data: { type: 'ping' } } });
    sse.start();
    while (sink.written.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    sse.end();
    expect(sink.written[0]).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
