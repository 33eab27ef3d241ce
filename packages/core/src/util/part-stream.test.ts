import { describe, expect, it } from 'vitest';
import { PartStream } from './part-stream.js';

describe('PartStream', () => {
  it('delivers pushed items in order, including ones pushed before iteration', async () => {
    const stream = new PartStream<number>();
    stream.push(1);
    setTimeout(() => {
      stream.push(2);
      stream.push(3);
      stream.end();
      stream.push(4);
    }, 5);
    const seen: number[] = [];
    for await (const item of stream) seen.push(item);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws the failure after the items pushed before it', async () => {
    const stream = new PartStream<string>();
    stream.push('a');
    stream.fail(new Error('boom'));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of stream) seen.push(item);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual(['a']);
  });
});
