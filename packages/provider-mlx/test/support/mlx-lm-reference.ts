import { existsSync } from 'node:fs';
import path from 'node:path';
import { readModelConfig } from '../../src/mlx-folder.js';
import { nativeAddon } from '../../src/native-binding.js';
import { runPythonJobs } from './python-jobs.js';

// @ts-expect-error: a plain .mjs script without types; it owns where mlx-lm is installed.
const { mlxLmPath } = (await import('../../../../bench/install-mlx-lm.mjs')) as { mlxLmPath: string };

export type ReferenceJob =
  | { op: 'decode'; dir: string; prompt: number[]; greedy: number; forced: number[]; kv_bits?: number; kv_group_size?: number }
  | { op: 'convert'; source: string; destination: string; bits: 4 | 8; group_size?: number };

export interface Decoded {
  greedy: number[];
  forced: number[];
}

/** Runs jobs in one Python mlx-lm process (bench/mlx-lm-agreement.py) on the mlx-cpu wheel the addon uses. */
export async function mlxLm(jobs: ReferenceJob[]): Promise<(Decoded | Record<string, never>)[]> {
  if (!existsSync(path.join(mlxLmPath, 'mlx_lm'))) {
    throw new Error(`Python mlx-lm is not installed in ${mlxLmPath}; run \`node bench/install-mlx-lm.mjs\` first.`);
  }
  return runPythonJobs('mlx-lm-agreement.py', mlxLmPath, jobs);
}

/**
 * The same answers from our decoder: greedy ids step by step, and argmax after each prefix of
 * `forced` in one pass. `cache`: native KV cache settings (kv_bits, kv_group_size, quantized_kv_start).
 */
export async function ours(dir: string, prompt: number[], greedyTokens: number, forced: number[], cache: Record<string, number> = {}): Promise<Decoded> {
  const { native } = await readModelConfig(dir);
  const model = new (nativeAddon().MlxModel)(dir, { ...native, ...cache });
  await model.load();
  try {
    const greedy = [await model.step(1, Int32Array.from(prompt), { temperature: 0 })];
    while (greedy.length < greedyTokens) greedy.push(await model.step(1, Int32Array.from([greedy.at(-1)!]), { temperature: 0 }));
    return { greedy, forced: Array.from(await model.verify(2, Int32Array.from(forced), { temperature: 0 })) };
  } finally {
    await model.unload();
  }
}

/** Fraction of positions where two argmax lists agree. */
export function agreement(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  return a.filter((token, index) => token === b[index]).length / a.length;
}

/** Seeded token ids in [3, vocab): a teacher-forcing sequence no model would produce by itself. */
export function randomTokens(count: number, vocab: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 3 + (state % (vocab - 3));
  });
}

/** Greedy ids for two sequences decoded together (one batched forward pass per step), the second from a shorter prompt. */
export async function oursBatched(dir: string, prompts: [number[], number[]], greedyTokens: number): Promise<[number[], number[]]> {
  const { native } = await readModelConfig(dir);
  const model = new (nativeAddon().MlxModel)(dir, native);
  await model.load();
  try {
    const outputs: [number[], number[]] = [[await model.step(1, Int32Array.from(prompts[0]), { temperature: 0 })], [await model.step(2, Int32Array.from(prompts[1]), { temperature: 0 })]];
    while (outputs[0].length < greedyTokens) {
      const next = await model.stepBatch(Int32Array.from([1, 2]), Int32Array.from([outputs[0].at(-1)!, outputs[1].at(-1)!]), [{ temperature: 0 }, { temperature: 0 }]);
      outputs[0].push(next[0]!);
      outputs[1].push(next[1]!);
    }
    return outputs;
  } finally {
    await model.unload();
  }
}
