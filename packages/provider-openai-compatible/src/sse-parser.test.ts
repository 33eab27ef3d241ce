import { describe, expect, it } from 'vitest';
import { readSse, SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('splits events on blank lines and joins multi-line data', () => {
    const parser = new SseParser();
    expect(parser.push('data: {"a":1}\n\ndata: one\ndata: two\n\n')).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
    ]);
  });

  it('keeps a partial line until the rest arrives, whatever the chunking', () => {
    const stream = 'event: ping\r\ndata: x\r\n\r\n: a comment\ndata:no-space\rdata:  two spaces\r\rdata: [DONE]\n\n';
    const whole = new SseParser().push(stream);
    expect(whole).toEqual([
      { event: 'ping', data: 'x' },
      { event: 'message', data: 'no-space\n two spaces' },
      { event: 'message', data: '[DONE]' },
    ]);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const events = [];
      for (let index = 0; index < stream.length; index += size) events.push(...parser.push(stream.slice(index, index + size)));
      expect(events, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('does not dispatch an event whose blank line never came, nor one without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: only\n\nid: 7\ndata: cut')).toEqual([]);
    parser.end();
    expect(parser.push('\n')).toEqual([]);
  });

  it('remembers the last id', () => {
    expect(new SseParser().push('id: 3\ndata: a\n\ndata: b\n\n')).toEqual([
      { event: 'message', data: 'a', id: '3' },
      { event: 'message', data: 'b', id: '3' },
    ]);
  });
});

describe('readSse', () => {
  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo 🦙\n\n');
    async function* chunks() {
      for (const byte of bytes) yield new Uint8Array([byte]);
    }
    const events = [];
    for await (const event of readSse(chunks())) events.push(event);
    expect(events).toEqual([{ event: 'message', data: 'héllo 🦙' }]);
  });
});
