import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomModel } from '../../../bench/make-random-model.mjs';
import { mlxProvider } from '../src/index.js';
import { readModelConfig } from '../src/mlx-folder.js';
import { yarnRope } from '../src/mlx-rope.js';
import { agreement, mlxLm, ours, randomTokens, type Decoded } from './support/mlx-lm-reference.js';

// Transformers 5 writes RoPE as `rope_parameters`; the same model in either format must decode
// token for token the same, and like mlx-lm on the classic format.
const cases: { name: string; architecture: string; rope_theta?: number; rope_scaling?: Record<string, unknown> }[] = [
  { name: 'llama', architecture: 'llama' },
  { name: 'mistral', architecture: 'mistral' },
  { name: 'qwen2', architecture: 'qwen2' },
  { name: 'qwen3', architecture: 'qwen3' },
  { name: 'gemma3_text (one block per layer type)', architecture: 'gemma3_text' },
  { name: 'phi3 + longrope, partial rotary', architecture: 'phi3-longrope' },
  { name: 'gemma3_text + linear scaling', architecture: 'gemma3_text', rope_scaling: { rope_type: 'linear', factor: 8 } },
  { name: 'llama + llama3 scaling', architecture: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } },
  { name: 'llama + linear scaling', architecture: 'llama', rope_scaling: { type: 'linear', factor: 4 } },
  // original context > 2π·theta: the YaRN ramp's upper bound decides the long periods.
  { name: 'qwen3 + yarn', architecture: 'qwen3', rope_theta: 10000, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 131072 } },
];
const prompt = [1, 400, 33, 87, 250, 19];
const forced = randomTokens(128, 512, 11);
const dirs = new Map<string, { classic: string; transformers5: string }>();
const reference = new Map<string, Decoded>();

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'heylook-rope-parameters-'));
  for (const [index, { name, architecture, rope_theta, rope_scaling }] of cases.entries()) {
    // Each architecture's usual theta (500000, 1e6), never 10000 (the default a reader could fall back to).
    const options = { seed: 100 + index, configOverrides: { ...(rope_theta ? { rope_theta } : {}), ...(rope_scaling ? { rope_scaling } : {}) } };
    const classic = path.join(root, `${index}-classic`);
    const transformers5 = path.join(root, `${index}-transformers5`);
    await makeRandomModel(classic, architecture, options);
    await makeRandomModel(transformers5, architecture, { ...options, ropeParameters: true });
    dirs.set(name, { classic, transformers5 });
  }
  const answers = await mlxLm(cases.map(({ name }) => ({ op: 'decode', dir: dirs.get(name)!.classic, prompt, greedy: 64, forced })));
  cases.forEach(({ name }, index) => reference.set(name, answers[index] as Decoded));
}, 300_000);

describe('rope_parameters (Transformers 5) and classic RoPE keys', () => {
  it.each(cases.map(({ name }) => name))('%s: both formats decode alike, and like mlx-lm', async (name) => {
    const { classic, transformers5 } = dirs.get(name)!;
    expect(JSON.parse(await readFile(path.join(transformers5, 'config.json'), 'utf8'))).not.toHaveProperty('rope_theta');
    const fromClassic = await ours(classic, prompt, 64, forced);
    const fromParameters = await ours(transformers5, prompt, 64, forced);
    expect(fromParameters).toEqual(fromClassic);
    const theirs = reference.get(name)!;
    expect(agreement(fromClassic.forced, theirs.forced)).toBeGreaterThanOrEqual(0.99);
    expect(fromClassic.greedy).toEqual(theirs.greedy);
  });

  it('mlx-lm reads qwen3 rope_parameters too, and gives the same ids as we do', async () => {
    const [theirs] = (await mlxLm([{ op: 'decode', dir: dirs.get('qwen3')!.transformers5, prompt, greedy: 64, forced }])) as Decoded[];
    const mine = await ours(dirs.get('qwen3')!.transformers5, prompt, 64, forced);
    expect(mine.greedy).toEqual(theirs!.greedy);
    expect(agreement(mine.forced, theirs!.forced)).toBeGreaterThanOrEqual(0.99);
  });
});

describe('RoPE settings we do not implement are errors, never defaults', () => {
  async function configWith(edit: (config: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-rope-config-'));
    await makeRandomModel(dir, 'qwen3', { ropeParameters: true });
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(edit(config)));
    return dir;
  }

  it('names an unknown rope_type in rope_parameters', async () => {
    const dir = await configWith((config) => ({ ...config, rope_parameters: { rope_type: 'dynamic', rope_theta: 10000, factor: 4 } }));
    await expect(readModelConfig(dir)).rejects.toMatchObject({ code: errorCodes.unsupportedModel, message: expect.stringMatching(/RoPE type "dynamic"/) });
  });

  it('refuses rope_parameters per layer type, a partial rotary factor, and a missing rope_theta', async () => {
    const perLayer = await configWith((config) => ({ ...config, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } } }));
    await expect(readModelConfig(perLayer)).rejects.toMatchObject({ code: errorCodes.unsupportedModel, message: expect.stringMatching(/per layer type/) });
    const partial = await configWith((config) => ({ ...config, rope_parameters: { rope_type: 'default', rope_theta: 1e6, partial_rotary_factor: 0.5 } }));
    await expect(readModelConfig(partial)).rejects.toMatchObject({ code: errorCodes.unsupportedModel, message: expect.stringMatching(/partial_rotary_factor/) });
    const noTheta = await configWith(({ rope_parameters: _dropped, ...config }) => config);
    await expect(readModelConfig(noTheta)).rejects.toMatchObject({ code: errorCodes.invalidModelFile, message: expect.stringMatching(/no valid rope_theta/) });
  });

  it('a classic llama folder without rope_theta uses 10000, as Transformers and mlx-lm do', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'heylook-rope-config-'));
    await makeRandomModel(dir, 'llama', { configOverrides: { rope_theta: undefined } });
    expect((await readModelConfig(dir)).native).toMatchObject({ rope_theta: 10000, rope_scale: 1 });
  });

  it('an unsupported architecture fails to load with HEYLOOK_UNSUPPORTED_MODEL', async () => {
    const dir = await configWith((config) => ({ ...config, model_type: 'mamba', architectures: ['MambaForCausalLM'] }));
    const model = createTestModel(mlxProvider, { model_path: dir }, { id: 'm', baseDir: dir });
    await expect(model.load()).rejects.toMatchObject({ code: errorCodes.unsupportedModel, message: expect.stringMatching(/model_type "mamba" is not supported/) });
  });
});

describe('YaRN frequencies', () => {
  /** Transformers' _compute_yarn_parameters, in float64: inverse frequencies per dimension pair. */
  function transformersYarn(dim: number, base: number, factor: number, original: number, betaFast = 32, betaSlow = 1): number[] {
    const correctionDim = (rotations: number) => (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
    const low = Math.max(Math.floor(correctionDim(betaFast)), 0);
    let high = Math.min(Math.ceil(correctionDim(betaSlow)), dim - 1);
    if (low === high) high += 0.001;
    return Array.from({ length: dim / 2 }, (_, index) => {
      const posFreq = base ** ((2 * index) / dim);
      const extrapolationFactor = 1 - Math.min(1, Math.max(0, (index - low) / (high - low)));
      return (1 / (factor * posFreq)) * (1 - extrapolationFactor) + (1 / posFreq) * extrapolationFactor;
    });
  }

  it('match Transformers where the ramp bound matters (original context 131072 > 2π·10000)', () => {
    const expected = transformersYarn(16, 10000, 4, 131072);
    const { rope_freqs } = yarnRope(16, 10000, { factor: 4, original_max_position_embeddings: 131072 }, undefined);
    for (const [index, inverse] of expected.entries()) expect(Math.abs(1 / rope_freqs[index]! - inverse) / inverse, `pair ${index}`).toBeLessThan(1e-6);
  });

  it('match Transformers for a typical config too (Qwen-style theta 1e6, 32k original context)', () => {
    const expected = transformersYarn(128, 1e6, 4, 32768);
    const { rope_freqs } = yarnRope(128, 1e6, { factor: 4, original_max_position_embeddings: 32768 }, undefined);
    for (const [index, inverse] of expected.entries()) expect(Math.abs(1 / rope_freqs[index]! - inverse) / inverse, `pair ${index}`).toBeLessThan(1e-6);
  });
});
