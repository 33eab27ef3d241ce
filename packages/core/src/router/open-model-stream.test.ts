import { describe, expect, it } from 'vitest';
import { errorCodes } from '../errors/heylook-error.js';
import { createTestRouter } from '../testing/create-test-router.js';
import { collectStream, openModelStream, withModel } from './open-model-stream.js';

describe('openModelStream', () => {
  it('holds the lease while streaming and releases it at the end', async () => {
    const { router } = createTestRouter({ a: { reply: 'one two three' } });
    const { parts } = await openModelStream(router, 'a', {}, (provider) => provider.chat({ messages: [{ role: 'user', content: 'x' }] }));
    expect(router.list()[0]?.activeRequests).toBe(1);
    const result = await collectStream(parts);
    expect(result).toMatchObject({ text: 'one two three', finishReason: 'stop', usage: { completionTokens: 3 } });
    expect(router.list()[0]?.activeRequests).toBe(0);
  });

  it('releases when the consumer stops early', async () => {
    const { router } = createTestRouter({ a: { reply: 'one two three' } });
    const { parts } = await openModelStream(router, 'a', {}, (provider) => provider.chat({ messages: [] }));
    for await (const _part of parts) break;
    expect(router.list()[0]?.activeRequests).toBe(0);
  });

  it('releases with the error when starting fails, and with a fatal error marks the model broken', async () => {
    const { router, stats } = createTestRouter({ a: { reply: 'x boom', crash_on: 'boom' } });
    await expect(
      openModelStream(router, 'a', {}, () => {
        throw new Error('bad request');
      }),
    ).rejects.toThrow('bad request');
    expect(router.list()[0]?.activeRequests).toBe(0);
    const { parts } = await openModelStream(router, 'a', {}, (provider) => provider.chat({ messages: [] }));
    await expect(collectStream(parts)).rejects.toMatchObject({ code: errorCodes.providerCrashed });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(stats.unloads).toBe(1);
  });

  it('folds tool-call deltas into calls', async () => {
    const { router } = createTestRouter({ a: { tool_call: { name: 'f', arguments: { x: 1 } } } });
    const result = await withModel(router, 'a', {}, (provider) =>
      collectStream(provider.chat({ messages: [], tools: [{ name: 'f' }] })),
    );
    expect(result.toolCalls).toEqual([{ id: 'call_0', name: 'f', arguments: '{"x":1}' }]);
    expect(result.finishReason).toBe('tool-calls');
  });
});
