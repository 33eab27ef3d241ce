import type { Llama, LlamaModel } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { ggufConfigSchema } from './gguf-config.js';
import { flashAttentionFor } from './gguf-load.js';

// Only the fields flashAttentionFor reads: the binding's GPU and the GGUF's attention shape.
const llama = (gpu: Llama['gpu']) => ({ gpu }) as Llama;
const model = (attention: { head_count?: number; key_length?: number }, width = 1024) =>
  ({ fileInfo: { architectureMetadata: { embedding_length: width, attention } } }) as unknown as LlamaModel;
const config = (extra: Record<string, unknown> = {}) => ggufConfigSchema.parse({ model_path: 'm.gguf', ...extra });

describe('flash attention default', () => {
  it('is off on the CPU for heads whose width is not a multiple of 64, from key_length or width / heads', () => {
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 8, key_length: 96 }))).toBe(false);
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 32, key_length: 80 }))).toBe(false);
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 8 }, 64))).toBe(false);
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 8 }, 768))).toBe(false);
    expect(flashAttentionFor(llama('cuda'), config({ n_gpu_layers: 0 }), model({ head_count: 8 }, 768))).toBe(false);
  });

  it("is llama.cpp's auto for heads of 64, 128 or 256, with a GPU, or without the shape", () => {
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 16 }))).toBeUndefined();
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 8 }))).toBeUndefined();
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 32, key_length: 128 }))).toBeUndefined();
    expect(flashAttentionFor(llama(false), config(), model({ head_count: 8, key_length: 256 }))).toBeUndefined();
    expect(flashAttentionFor(llama('cuda'), config(), model({ head_count: 8 }, 768))).toBeUndefined();
    expect(flashAttentionFor(llama(false), config(), model({}))).toBeUndefined();
  });

  it('follows the config either way', () => {
    expect(flashAttentionFor(llama(false), config({ flash_attention: true }), model({ head_count: 8 }, 768))).toBe(true);
    expect(flashAttentionFor(llama('cuda'), config({ flash_attention: false }), model({ head_count: 8 }))).toBe(false);
  });
});
