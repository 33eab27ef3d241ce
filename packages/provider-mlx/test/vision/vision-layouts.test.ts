import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomVlm } from '../../../../bench/make-random-vlm.mjs';
import { convertModel } from '../../src/convert-model.js';
import type { NativeModel } from '../../src/native-binding.js';
import type { PixelValues } from '../../src/vision/pixel-values.js';
import { agreement, decodeOurs, loadOurs, mlxVlm, mlxVlmReference, randomTokens, relativeError, writePixels, type Decoded } from './support/mlx-vlm-reference.js';

// The same random model in the three weight layouts the addon reads: older Transformers names
// (what mlx-vlm reads), Transformers >= 4.52's (`model.…`, `lm_head`), and mlx-vlm's convert output
// (the mlx-community layout: MLX-order patch weights, 4-bit language model, float tower), plus our
// own 4-bit convert (tower kept float). Float layouts must give identical rows and picks; the
// quantized ones must load and answer with an image, and mlx-vlm's convert output must decode as
// mlx-vlm decodes it (>= 99% teacher-forced, 32 greedy tokens equal).
const families = ['llava', 'gemma3'] as const;
type Family = (typeof families)[number];
const layouts = ['transformers', 'mlx-vlm q4', 'heylook q4'] as const;
const reference = mlxVlmReference();

/** Deterministic pixel values in [-1, 1], channels-first as the processors return them. */
function pixelsOf(size: number, seed: number): PixelValues {
  let state = seed;
  const data = Float32Array.from({ length: 3 * size * size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  });
  return { data, shape: [1, 3, size, size] };
}

interface Folder {
  dir: string;
  model?: NativeModel;
}
const folders = new Map<string, Folder>();
const prompts = new Map<Family, { tokens: number[]; offset: number }>();
const theirsQuantized = new Map<Family, Decoded>();
const table: string[] = [];
const size = { llava: 56, gemma3: 64 };

beforeAll(async () => {
  if ('skipped' in reference) return;
  const root = await mkdtemp(path.join(tmpdir(), 'heylook-vision-layouts-'));
  for (const family of families) {
    const original = path.join(root, family, 'original');
    const { ids } = (await makeRandomVlm(original, family)) as { ids: Record<string, number> };
    await makeRandomVlm(path.join(root, family, 'transformers'), family, { transformersLayout: true });
    await convertModel(original, path.join(root, family, 'heylook-q4'), { bits: 4, groupSize: 64 });
    folders.set(`${family} original`, { dir: original });
    folders.set(`${family} transformers`, { dir: path.join(root, family, 'transformers') });
    folders.set(`${family} mlx-vlm q4`, { dir: path.join(root, family, 'mlx-vlm-q4') });
    folders.set(`${family} heylook q4`, { dir: path.join(root, family, 'heylook-q4') });
    const image = Array<number>(16).fill(family === 'llava' ? ids['<image>']! : ids['<image_soft_token>']!);
    const run = family === 'llava' ? image : [ids['<start_of_image>']!, ...image, ids['<end_of_image>']!];
    prompts.set(family, { tokens: [1, ...randomTokens(4, 21), ...run, ...randomTokens(20, 22)], offset: family === 'llava' ? 5 : 6 });
  }
  await mlxVlm(
    reference.path,
    families.map((family) => ({ op: 'convert', source: folders.get(`${family} original`)!.dir, destination: folders.get(`${family} mlx-vlm q4`)!.dir, bits: 4, group_size: 64 })),
  );
  const pixelFiles = await Promise.all(families.map((family) => writePixels(path.join(root, `${family}.f32`), pixelsOf(size[family], 5))));
  const answers = await mlxVlm(
    reference.path,
    families.map((family, index) => {
      const prompt = prompts.get(family)!.tokens;
      return { op: 'decode', dir: folders.get(`${family} mlx-vlm q4`)!.dir, pixels: pixelFiles[index]!, shape: [1, 3, size[family], size[family]], prompt, greedy: 32, forced: prompt };
    }),
  );
  families.forEach((family, index) => theirsQuantized.set(family, answers[index] as Decoded));
  for (const folder of folders.values()) folder.model = await loadOurs(folder.dir);
}, 600_000);

afterAll(async () => {
  for (const folder of folders.values()) await folder.model?.unload();
  if (table.length) console.log(`vision layouts:\n${table.join('\n')}`);
});

describe.skipIf('skipped' in reference).each(families)('%s layouts', (family) => {
  it.each(layouts)('%s: the tower matches the original folder and the model answers with an image', async (layout) => {
    const pixels = pixelsOf(size[family], 5);
    const prompt = prompts.get(family)!;
    const original = folders.get(`${family} original`)!.model!;
    const model = folders.get(`${family} ${layout}`)!.model!;
    const shape = Int32Array.from(pixels.shape);
    const error = relativeError(await model.encodeImage(pixels.data, shape), await original.encodeImage(pixels.data, shape));
    const mine = await decodeOurs(model, pixels, prompt, prompt, 32);
    const base = await decodeOurs(original, pixels, prompt, prompt, 32);
    const other = await decodeOurs(model, pixelsOf(size[family], 6), prompt, prompt, 1);
    let line = `${family} ${layout}: tower relative error vs original ${error.toExponential(2)}, picks equal to float ${(agreement(mine.forced, base.forced) * 100).toFixed(1)}%`;
    expect(error).toBeLessThanOrEqual(1e-6);
    expect(mine.greedy.every((token) => token >= 0 && token < 512 + 3)).toBe(true);
    expect(agreement(mine.forced, other.forced)).toBeLessThan(0.95);
    if (layout === 'transformers') expect(mine).toEqual(base);
    if (layout === 'mlx-vlm q4') {
      const theirs = theirsQuantized.get(family)!;
      const firstDifference = mine.greedy.findIndex((token, index) => token !== theirs.greedy[index]);
      line += `; vs mlx-vlm on it: teacher-forced ${(agreement(mine.forced, theirs.forced) * 100).toFixed(1)}%, greedy equal for ${firstDifference === -1 ? 32 : firstDifference}/32`;
      table.push(line);
      expect(agreement(mine.forced, theirs.forced)).toBeGreaterThanOrEqual(0.99);
      expect(mine.greedy).toEqual(theirs.greedy);
    } else table.push(line);
  });
});
