import { describe, expect, it } from 'vitest';
import { readSseJson } from './sse.js';

function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>) {
  const out: unknown[] = [];
  for await (const event of readSseJson(stream)) out.push(event);
  return out;
}

describe('readSseJson', () => {
  it('parses events split across chunks, skips pings and stops at [DONE]', async () => {
    const events = await all(body('data: {"a":', '1}\n\n:\n\ndata: {"b":2}\r\n\r\n', 'data: [DONE]\n\ndata: {"c":3}\n\n'));
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('yields a last event that is not followed by a blank line', async () => {
    expect(await all(body('data: {"a":1}\n\ndata: {"error":{"message":"x"}}'))).toEqual([{ a: 1 }, { error: { message: 'x' } }]);
  });
});
