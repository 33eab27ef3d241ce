import { describe, expect, it } from 'vitest';
import { parseByteSize, parseKeepAlive } from './duration.js';

describe('parseKeepAlive', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['300ms', 300],
    ['10s', 10_000],
    ['0', 0],
    [0, 0],
    [30, 30_000],
    ['45', 45_000],
    [-1, Infinity],
    ['-1', Infinity],
    ['-1m', Infinity],
  ] as const)('%s → %s ms', (input, expected) => {
    expect(parseKeepAlive(input)).toBe(expected);
  });

  it.each(['', 'soon', '5x', '1h junk'])('rejects %j', (input) => {
    expect(parseKeepAlive(input)).toBeUndefined();
  });
});

describe('parseByteSize', () => {
  it.each([
    ['16GB', 16e9],
    ['512 MiB', 512 * 1024 ** 2],
    ['1.5g', 1.5e9],
    [1000, 1000],
    ['2048', 2048],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });

  it('rejects nonsense', () => {
    expect(parseByteSize('lots')).toBeUndefined();
  });
});
