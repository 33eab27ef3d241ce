import { createTestRouter } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { ollamaName, resolveModelName } from './model-names.js';

describe('Ollama model names', () => {
  const { router } = createTestRouter({ plain: {}, 'tagged:latest': {}, 'sized:7b': {} });

  it('resolves bare names, :latest and explicit tags both ways', () => {
    expect(resolveModelName(router, 'plain').id).toBe('plain');
    expect(resolveModelName(router, 'plain:latest').id).toBe('plain');
    expect(resolveModelName(router, 'tagged').id).toBe('tagged:latest');
    expect(resolveModelName(router, 'sized:7b').id).toBe('sized:7b');
    expect(() => resolveModelName(router, 'sized')).toThrow(/"sized" does not exist/);
    expect(() => resolveModelName(router, 'plain:13b')).toThrow(/"plain:13b" does not exist/);
  });

  it('shows untagged ids with :latest', () => {
    expect(ollamaName('plain')).toBe('plain:latest');
    expect(ollamaName('sized:7b')).toBe('sized:7b');
  });
});
