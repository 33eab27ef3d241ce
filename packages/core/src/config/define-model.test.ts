import { describe, expect, it } from 'vitest';
import { isHeylookError } from '../errors/heylook-error.js';
import { defineModel } from './define-model.js';

describe('defineModel', () => {
  it('fills the defaults a router needs', () => {
    const entry = defineModel({ id: 'stories', provider: 'gguf', keep_alive: '10m', config: { model_path: 'a.gguf' } }, { baseDir: '/models' });
    expect(entry).toMatchObject({ id: 'stories', provider: 'gguf', enabled: true, tags: [], aliases: [], keepAlive: '10m', baseDir: '/models' });
    expect(entry.source).toBe('defined in code');
  });

  it('names the bad key in a coded error', () => {
    let caught: unknown;
    try {
      defineModel({ id: 'x', provider: '', aliases: 'nope' as unknown as string[] });
    } catch (error) {
      caught = error;
    }
    expect(isHeylookError(caught) && caught.code).toBe('HEYLOOK_INVALID_CONFIG');
    expect((caught as Error).message).toMatch(/provider: must not be empty/);
    expect((caught as Error).message).toMatch(/aliases/);
  });
});
