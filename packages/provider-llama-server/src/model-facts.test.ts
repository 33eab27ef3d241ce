import path from 'node:path';
import { readGgufHeader } from '@heylook/core';
import { fixturesDir } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { llamaServerConfigSchema } from './llama-server-config.js';
import { headWidthOf, describeModel, estimateMemory, kvCacheBytes } from './model-facts.js';

const config = (extra: object = {}) => llamaServerConfigSchema.parse({ model_path: 'stories260K.gguf', n_ctx: 512, parallel: 2, ...extra });

describe('model facts from the GGUF header', () => {
  it('sizes the KV cache of stories260K: 2 x 5 layers x 512 x 2 slots x 4 kv heads x (8 + 8) x f16', async () => {
    const header = await readGgufHeader(path.join(fixturesDir, 'stories260K.gguf'));
    expect(headWidthOf(header)).toBe(8);
    expect(kvCacheBytes(header, config())).toBe(2 * 5 * 512 * 2 * 4 * 16);
    expect(kvCacheBytes(header, config({ parallel: 4 }))).toBe(2 * kvCacheBytes(header, config()));
  });

  it('estimates weights + KV + overhead, and grows with the context', async () => {
    const small = await estimateMemory(config(), fixturesDir);
    expect(small).toBeGreaterThan(1_185_376);
    expect(await estimateMemory(config({ n_ctx: 1024 }), fixturesDir)).toBeGreaterThan(small);
  });

  it('describes the model without starting llama-server', async () => {
    const info = await describeModel(config(), fixturesDir);
    expect(info).toMatchObject({ format: 'gguf', family: 'llama', parameterCount: 292_800, contextLength: 2048, fileSize: 1_185_376 });
    expect(info.capabilities).toMatchObject({ chat: true, vision: false, logprobs: true, embed: false });
  });
});
