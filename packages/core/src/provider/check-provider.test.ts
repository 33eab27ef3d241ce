import { describe, expect, it } from 'vitest';
import { createMinimalProviderPlugin } from '../testing/minimal-provider.js';
import { checkProvider } from './base-provider.js';

describe('checkProvider', () => {
  it('treats a plugin without check() as ready', async () => {
    expect(await checkProvider(createMinimalProviderPlugin())).toEqual({ ready: true });
  });

  it('passes on what check() says', async () => {
    const plugin = { ...createMinimalProviderPlugin(), check: async () => ({ ready: false as const, problem: 'no addon', fix: 'run setup' }) };
    expect(await checkProvider(plugin)).toEqual({ ready: false, problem: 'no addon', fix: 'run setup' });
  });

  it('turns a throwing check() into not ready, naming the error', async () => {
    const plugin = {
      ...createMinimalProviderPlugin(),
      check: async (): Promise<never> => {
        throw new Error('boom');
      },
    };
    const readiness = await checkProvider(plugin);
    expect(readiness.ready).toBe(false);
    expect(readiness.ready === false && readiness.problem).toContain('boom');
  });
});
