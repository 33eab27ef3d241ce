import { describe, expect, it } from 'vitest';
import { DecodeChunkSize } from './decode-chunk-size.js';

describe('DecodeChunkSize', () => {
  it('starts at one token and doubles up to eight while chunks are fast', () => {
    const size = new DecodeChunkSize();
    const sizes = [];
    for (let call = 0; call < 6; call++) {
      const tokens = size.next(100);
      sizes.push(tokens);
      size.measured(tokens, tokens * 2);
    }
    expect(sizes).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('keeps a slow model at one token per call, and never passes the limit', () => {
    const slow = new DecodeChunkSize();
    slow.measured(1, 100);
    expect(slow.next(100)).toBe(1);
    const fast = new DecodeChunkSize();
    for (let call = 0; call < 4; call++) fast.measured(1, 1);
    expect(fast.next(3)).toBe(3);
    expect(fast.next(0)).toBe(1);
  });

  it('shrinks when tokens slow down (more streams joined)', () => {
    const size = new DecodeChunkSize();
    for (let call = 0; call < 4; call++) size.measured(1, 1);
    expect(size.next(100)).toBe(8);
    size.measured(8, 8 * 10);
    expect(size.next(100)).toBe(2);
  });
});
