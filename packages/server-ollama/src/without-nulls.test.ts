import { describe, expect, it } from 'vitest';
import { withoutNulls } from './without-nulls.js';

describe('withoutNulls', () => {
  it('drops nulls from the body, its options and its messages, and leaves schemas alone', () => {
    const format = { type: 'object', properties: { a: { const: null } } };
    expect(
      withoutNulls({
        model: 'm',
        keep_alive: null,
        options: { temperature: null, num_predict: 5, stop: null },
        messages: [{ role: 'user', content: 'hi', images: null }],
        format,
      }),
    ).toEqual({ model: 'm', options: { num_predict: 5 }, messages: [{ role: 'user', content: 'hi' }], format });
  });

  it('passes through what is not an object', () => {
    expect(withoutNulls('x')).toBe('x');
    expect(withoutNulls(null)).toBe(null);
    expect(withoutNulls([null])).toEqual([null]);
  });
});
