import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes, type StreamPart } from '@heylook/core';
import { createTestModel, fixturesDir } from '@heylook/core/testing';
import { describe, expect, it } from 'vitest';
import { mlxProvider } from '../src/index.js';
import { llama3RopeFrequencies, yarnRope } from '../src/mlx-rope.js';


async function withScaling(scaling: Record<string, unknown> | undefined): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-rope-'));
  await cp(path.join(fixturesDir, 'stories260K-hf'), dir, { recursive: true });
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...(scaling ? { rope_scaling: scaling } : {}) }));
  return dir;
}

async function greedy(dir: string): Promise<number[]> {
  const model = createTestModel(mlxProvider, { model_path: dir }, { id: 'r', baseDir: dir });
  await model.load();
  let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
  for await (const part of model.complete!({ prompt: 'Once upon a time', maxTokens: 120, temperature: 0 })) if (part.type === 'finish') finish = part;
  await model.unload();
  return finish!.context!;
}

describe('Llama 3 RoPE scaling', () => {
  it('keeps short wavelengths, stretches long ones by the factor, interpolates between', () => {
    const periods = llama3RopeFrequencies(8, 10000, { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 });
    const plain = [0, 1, 2, 3].map((index) => 10000 ** ((2 * index) / 8));
    expect(periods[0]).toBeCloseTo(plain[0]!, 5); // wavelength 2π < 16: unchanged
    expect(periods[3]).toBeCloseTo(plain[3]! * 8, 0); // wavelength ≈ 6283 > 64: stretched
    expect(periods[1]! / plain[1]!).toBeGreaterThan(1); // ≈ 63: between 16 and 64, interpolated
    expect(periods[1]! / plain[1]!).toBeLessThan(8);
  });

  it('with factor 1 decodes exactly like no scaling; with a real factor it changes the text', async () => {
    const plain = await greedy(await withScaling(undefined));
    const neutral = await greedy(await withScaling({ rope_type: 'llama3', factor: 1, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 512 }));
    expect(neutral).toEqual(plain);
    const scaled = await greedy(await withScaling({ rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 }));
    expect(scaled).not.toEqual(plain);
  });

  it('names unsupported scaling types', async () => {
    const dir = await withScaling({ rope_type: 'dynamic', factor: 4 });
    await expect(greedy(dir)).rejects.toMatchObject({
      code: errorCodes.unsupportedModel,
      message: expect.stringMatching(/RoPE type "dynamic" is not supported by the mlx provider yet \(supported: default, linear, llama3, yarn, longrope\)/),
    });
  });
});

describe('YaRN RoPE scaling', () => {
  it('keeps fast dimensions, interpolates slow ones by the factor, ramps between, and scales attention', () => {
    const { rope_freqs, rope_mscale } = yarnRope(64, 10000, { factor: 4, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1 }, undefined);
    const plain = (index: number) => 10000 ** ((2 * index) / 64);
    expect(rope_freqs[0]).toBeCloseTo(plain(0), 5);
    expect(rope_freqs[31]! / plain(31)).toBeCloseTo(4, 3);
    const middle = rope_freqs[16]! / plain(16);
    expect(middle).toBeGreaterThan(1);
    expect(middle).toBeLessThan(4);
    expect(rope_mscale).toBeCloseTo(0.1 * Math.log(4) + 1, 6);
  });

  it('with factor 1 decodes exactly like no scaling; with a real factor it changes the text', async () => {
    const plain = await greedy(await withScaling(undefined));
    expect(await greedy(await withScaling({ rope_type: 'yarn', factor: 1, original_max_position_embeddings: 512 }))).toEqual(plain);
    expect(await greedy(await withScaling({ rope_type: 'yarn', factor: 16, original_max_position_embeddings: 64 }))).not.toEqual(plain);
  });
});
