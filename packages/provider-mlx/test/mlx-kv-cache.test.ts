import { errorCodes, type StreamPart } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { mlxProvider } from '../src/index.js';


async function run(config: Record<string, unknown>, maxTokens: number, prompt = 'Once upon a time') {
  const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf', stop_on_bos: false, ...config }, { id: 'kv' });
  await model.load();
  const parts: StreamPart[] = [];
  for await (const part of model.complete!({ prompt, maxTokens, temperature: 0 })) parts.push(part);
  await model.unload();
  const finish = parts.at(-1) as Extract<StreamPart, { type: 'finish' }>;
  return { tokens: finish.context!, finish };
}

describe('mlx KV caches', () => {
  it('a rotating cache larger than the text changes nothing; a small one runs far past its limit', async () => {
    const standard = await run({}, 300);
    expect((await run({ cache_type: 'rotating', max_kv_size: 400 }, 300)).tokens).toEqual(standard.tokens);
    const rotating = await run({ max_kv_size: 64 }, 300);
    expect(rotating.finish).toMatchObject({ reason: 'length', usage: { completionTokens: 300 } });
    // Identical while the window still holds everything, then free to differ.
    expect(rotating.tokens.slice(0, 64)).toEqual(standard.tokens.slice(0, 64));
  });

  it('an 8-bit cache quantized from token 32 on runs past that point and stays close to the float cache', async () => {
    const standard = await run({}, 200);
    const quantized = await run({ cache_type: 'quantized', kv_bits: 8, kv_group_size: 32, quantized_kv_start: 32 }, 200);
    expect(quantized.finish.usage.completionTokens).toBe(200);
    expect(quantized.tokens.slice(0, 32)).toEqual(standard.tokens.slice(0, 32));
    let same = 0;
    while (same < standard.tokens.length && quantized.tokens[same] === standard.tokens[same]) same++;
    expect(same).toBeGreaterThan(60);
    const fourBit = await run({ kv_bits: 4, kv_group_size: 32, quantized_kv_start: 0 }, 200);
    expect(fourBit.finish.usage.completionTokens).toBe(200);
  });

  it('rejects cache settings the model cannot use', async () => {
    await expect(run({ cache_type: 'quantized', kv_bits: 4, kv_group_size: 64 }, 5)).rejects.toMatchObject({
      code: errorCodes.invalidConfig,
      message: expect.stringContaining('does not divide this model'),
    });
    await expect(run({ cache_type: 'rotating' }, 5)).rejects.toMatchObject({ code: errorCodes.invalidConfig });
  });
});
