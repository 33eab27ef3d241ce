import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomVlm } from '../../../../bench/make-random-vlm.mjs';
import { describeFolder, readModelConfig } from '../../src/mlx-folder.js';
import type { NativeModel } from '../../src/native-binding.js';
import { decodeImage } from '../../src/vision/image-input.js';
import { ImageProcessor } from '../../src/vision/image-processor.js';
import type { PixelValues } from '../../src/vision/pixel-values.js';
import {
  agreement,
  decodeOurs,
  loadOurs,
  mlxVlm,
  mlxVlmReference,
  randomTokens,
  readFloat32,
  relativeError,
  writePixels,
  type Decoded,
  type MlxVlmJob,
} from './support/mlx-vlm-reference.js';

// Each family's tiny random-weight model (bench/make-random-vlm.mjs), float32, through our addon and
// through Python mlx-vlm on the same mlx-cpu wheel and the same pixel values (from our image
// processor): the vision tower + projector rows within 1e-3 relative error, teacher-forced
// next-token agreement >= 99% and identical greedy ids for 32 tokens on a prompt with an image,
// and a different image changing the model's picks.
const families = ['llava', 'gemma3'] as const;
type Family = (typeof families)[number];
const greedyTokens = 32;
const reference = mlxVlmReference();

interface Setup {
  dir: string;
  model: NativeModel;
  pixels: PixelValues[];
  pixelFiles: string[];
  prompt: { tokens: number[]; offset: number };
  forced: { tokens: number[]; offset: number };
  /** An image across the addon's 512-token prefill chunk boundary. */
  long: { tokens: number[]; offset: number };
}

/** Tokens around one image, expanded as mlx-vlm's processors expand the image placeholder. */
function withImage(family: Family, ids: Record<string, number>, before: number[], after: number[], count: number) {
  const image = Array<number>(count).fill(family === 'llava' ? ids['<image>']! : ids['<image_soft_token>']!);
  const run = family === 'llava' ? image : [ids['<start_of_image>']!, ...image, ids['<end_of_image>']!];
  const offset = 1 + before.length + (family === 'llava' ? 0 : 1);
  return { tokens: [1, ...before, ...run, ...after], offset };
}

async function pngOf(width: number, height: number, paint: (x: number, y: number, channel: number) => number): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) raw[(y * width + x) * 3 + c] = paint(x, y, c);
  const png = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The folder's image processor. */
async function processorOf(dir: string): Promise<ImageProcessor> {
  return ImageProcessor.fromConfig(JSON.parse(await readFile(path.join(dir, 'preprocessor_config.json'), 'utf8')));
}

const setups = new Map<Family, Setup>();
const theirs = new Map<string, unknown>();
const table: string[] = [];
let root = '';

beforeAll(async () => {
  if ('skipped' in reference) return;
  root = await mkdtemp(path.join(tmpdir(), 'heylook-vision-tower-'));
  const images = [
    await pngOf(80, 60, (x, y, c) => (x * 3 + y * 5 + c * 70) % 256),
    await pngOf(70, 90, (x, y, c) => ((x * y) ^ (c * 37)) & 255),
  ];
  const jobs: MlxVlmJob[] = [];
  const keys: string[] = [];
  for (const family of families) {
    const dir = path.join(root, family);
    const { ids, config } = (await makeRandomVlm(dir, family)) as { ids: Record<string, number>; config: Record<string, unknown> };
    const count = family === 'llava' ? 16 : (config.mm_tokens_per_image as number);
    const processor = await processorOf(dir);
    const pixels = await Promise.all(
      images.map(async (image) => processor.process(await decodeImage({ type: 'image', data: new Uint8Array(Buffer.from(image.slice(image.indexOf(',') + 1), 'base64')) }))),
    );
    const pixelFiles = await Promise.all(pixels.map((values, index) => writePixels(path.join(root, `${family}-${index}.f32`), values)));
    const prompt = withImage(family, ids, randomTokens(5, 11), randomTokens(6, 12), count);
    const forced = withImage(family, ids, randomTokens(4, 13), randomTokens(24, 14), count);
    const long = withImage(family, ids, randomTokens(512 - count / 2, 15), randomTokens(20, 16), count);
    setups.set(family, { dir, model: await loadOurs(dir), pixels, pixelFiles, prompt, forced, long });
    pixels.forEach((values, index) => {
      keys.push(`${family} encode ${index}`);
      jobs.push({ op: 'encode', dir, pixels: pixelFiles[index]!, shape: values.shape, output: path.join(root, `${family}-${index}.features`) });
      keys.push(`${family} decode ${index}`);
      jobs.push({ op: 'decode', dir, pixels: pixelFiles[index]!, shape: values.shape, prompt: prompt.tokens, greedy: greedyTokens, forced: forced.tokens });
    });
    keys.push(`${family} long`);
    jobs.push({ op: 'decode', dir, pixels: pixelFiles[0]!, shape: pixels[0]!.shape, prompt: long.tokens, greedy: 8, forced: long.tokens });
  }
  const answers = await mlxVlm(reference.path, jobs);
  keys.forEach((key, index) => theirs.set(key, answers[index]));
}, 600_000);

afterAll(async () => {
  for (const { model } of setups.values()) await model.unload();
  if (table.length) console.log(`vision against mlx-vlm:\n${table.join('\n')}`);
});

describe.skipIf('skipped' in reference).each(families)('%s against mlx-vlm', (family) => {
  it('says vision from the folder, and how many tokens an image takes', async () => {
    const { dir } = setups.get(family)!;
    const { vision } = await readModelConfig(dir);
    expect(vision).toMatchObject({ family, tokensPerImage: 16 });
    expect((await describeFolder(dir)).capabilities?.vision).toBe(true);
  });

  it('vision tower + projector rows within 1e-3 relative error', async () => {
    const { model, pixels } = setups.get(family)!;
    for (const [index, values] of pixels.entries()) {
      const ours = await model.encodeImage(values.data, Int32Array.from(values.shape));
      const answer = theirs.get(`${family} encode ${index}`) as { shape: number[] };
      const rows = await readFloat32(path.join(root, `${family}-${index}.features`));
      expect(ours.length).toBe(rows.length);
      expect(answer.shape[0]).toBe(16);
      const error = relativeError(ours, rows);
      table.push(`${family} image ${index}: tower + projector relative error ${error.toExponential(2)}`);
      expect(error).toBeLessThanOrEqual(1e-3);
    }
  });

  it('teacher-forced agreement >= 99% and 32 greedy tokens equal, for each image', async () => {
    const { model, pixels, prompt, forced } = setups.get(family)!;
    for (const [index, values] of pixels.entries()) {
      const reference = theirs.get(`${family} decode ${index}`) as Decoded;
      const mine = await decodeOurs(model, values, prompt, forced, greedyTokens);
      const forcedAgreement = agreement(mine.forced, reference.forced);
      const firstDifference = mine.greedy.findIndex((token, position) => token !== reference.greedy[position]);
      table.push(
        `${family} image ${index}: teacher-forced ${(forcedAgreement * 100).toFixed(1)}% of ${forced.tokens.length}, greedy equal for ${firstDifference === -1 ? greedyTokens : firstDifference}/${greedyTokens}`,
      );
      expect(forcedAgreement).toBeGreaterThanOrEqual(0.99);
      expect(mine.greedy).toEqual(reference.greedy);
    }
  });

  it('a different image changes the picks (ours and mlx-vlm alike)', async () => {
    const first = theirs.get(`${family} decode 0`) as Decoded;
    const second = theirs.get(`${family} decode 1`) as Decoded;
    expect(agreement(first.forced, second.forced)).toBeLessThan(0.95);
    const { model, pixels, prompt, forced } = setups.get(family)!;
    const mine = await Promise.all(pixels.map((values) => decodeOurs(model, values, prompt, forced, 1)));
    expect(agreement(mine[0]!.forced, mine[1]!.forced)).toBeLessThan(0.95);
  });

  it('an image across the 512-token prefill chunk boundary', async () => {
    const { model, pixels, long } = setups.get(family)!;
    const reference = theirs.get(`${family} long`) as Decoded;
    const mine = await decodeOurs(model, pixels[0]!, long, long, 8);
    const forcedAgreement = agreement(mine.forced, reference.forced);
    table.push(`${family} image at ${long.offset}..${long.offset + 16} of ${long.tokens.length}: teacher-forced ${(forcedAgreement * 100).toFixed(1)}%`);
    expect(forcedAgreement).toBeGreaterThanOrEqual(0.99);
    expect(mine.greedy).toEqual(reference.greedy);
  });
});
