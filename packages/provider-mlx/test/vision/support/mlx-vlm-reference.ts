import { writeFile } from 'node:fs/promises';
import { readModelConfig } from '../../../src/mlx-folder.js';
import { nativeAddon, type NativeModel } from '../../../src/native-binding.js';
import type { PixelValues } from '../../../src/vision/pixel-values.js';
import { installedReference, readFloat32, runPythonJobs } from '../../support/python-jobs.js';

// @ts-expect-error: a plain .mjs script without types; it owns where mlx-vlm is installed.
const { installMlxVlm } = (await import('../../../../../bench/install-mlx-vlm.mjs')) as { installMlxVlm: () => string };

/** The pinned mlx-vlm reference (installed on mlx-lm's) as a PYTHONPATH, or why it could not be installed. */
export function mlxVlmReference(): { path: string } | { skipped: string } {
  return installedReference(installMlxVlm, 'Python mlx-vlm');
}

export type MlxVlmJob =
  | { op: 'encode'; dir: string; pixels: string; shape: number[]; output: string }
  | { op: 'decode'; dir: string; pixels: string; shape: number[]; prompt: number[]; greedy: number; forced: number[] }
  | { op: 'convert'; source: string; destination: string; bits: 4 | 8; group_size?: number };

export interface Decoded {
  greedy: number[];
  forced: number[];
}

/** Runs jobs in one Python mlx-vlm process (bench/mlx-vlm-reference.py) on the mlx-cpu wheel the addon uses. */
export function mlxVlm(pythonPath: string, jobs: MlxVlmJob[]): Promise<unknown[]> {
  return runPythonJobs('mlx-vlm-reference.py', pythonPath, jobs);
}

export async function writePixels(file: string, pixels: PixelValues): Promise<string> {
  await writeFile(file, Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength));
  return file;
}

export { readFloat32 };

/** A loaded model folder through our addon, with its vision tower. */
export async function loadOurs(dir: string): Promise<NativeModel> {
  const { native } = await readModelConfig(dir);
  const model = new (nativeAddon().MlxModel)(dir, native);
  await model.load();
  return model;
}

/**
 * Our answers on a prompt with one image whose first token is at `offset`: greedy ids step by
 * step, and the argmax after each prefix of `forced` (image at `forcedOffset`) in one pass.
 */
export async function decodeOurs(
  model: NativeModel,
  pixels: PixelValues,
  prompt: { tokens: number[]; offset: number },
  forced: { tokens: number[]; offset: number },
  greedyTokens: number,
): Promise<Decoded> {
  const features = await model.encodeImage(pixels.data, Int32Array.from(pixels.shape));
  const greedy = [await model.step(1, Int32Array.from(prompt.tokens), { temperature: 0 }, { offsets: Int32Array.of(prompt.offset), features: [features] })];
  while (greedy.length < greedyTokens) greedy.push(await model.step(1, Int32Array.from([greedy.at(-1)!]), { temperature: 0 }));
  const picks = await model.verify(2, Int32Array.from(forced.tokens), { temperature: 0 }, { offsets: Int32Array.of(forced.offset), features: [features] });
  await model.freeSequence(1);
  await model.freeSequence(2);
  return { greedy, forced: Array.from(picks) };
}

/** ‖a − b‖ / ‖b‖. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let norm = 0;
  for (let index = 0; index < b.length; index++) {
    difference += (a[index]! - b[index]!) ** 2;
    norm += b[index]! ** 2;
  }
  return Math.sqrt(difference / norm);
}

/** Fraction of positions where two argmax lists agree. */
export function agreement(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  return a.filter((token, index) => token === b[index]).length / a.length;
}

/** Seeded token ids in [3, 512): stories260K's text tokens, none of the image tokens after them. */
export function randomTokens(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 3 + (state % 509);
  });
}
