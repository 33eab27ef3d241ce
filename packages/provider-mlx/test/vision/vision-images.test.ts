import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomModel } from '../../../../bench/make-random-model.mjs';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomVlm } from '../../../../bench/make-random-vlm.mjs';
import type { NativeImages, NativeModel } from '../../src/native-binding.js';
import { loadOurs, randomTokens } from './support/mlx-vlm-reference.js';

// The addon's image input on its own: several images in one prompt, a prompt fed in pieces (as
// prefix reuse does) giving the same picks as in one pass, and bad input refused with a clear error
// instead of a crash.
const families = ['llava', 'gemma3'] as const;
const models = new Map<string, NativeModel>();
const imageIds = new Map<string, number[]>();
const sizes = { llava: 56, gemma3: 64 };
let textOnly: NativeModel;

function pixels(size: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: 3 * size * size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  });
}

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'heylook-vision-images-'));
  for (const family of families) {
    const { ids } = (await makeRandomVlm(path.join(root, family), family)) as { ids: Record<string, number> };
    models.set(family, await loadOurs(path.join(root, family)));
    imageIds.set(family, family === 'llava' ? [ids['<image>']!] : [ids['<start_of_image>']!, ids['<image_soft_token>']!, ids['<end_of_image>']!]);
  }
  await makeRandomModel(path.join(root, 'llama'), 'llama');
  textOnly = await loadOurs(path.join(root, 'llama'));
}, 120_000);

afterAll(async () => {
  for (const model of models.values()) await model.unload();
  await textOnly?.unload();
});

/** Text, image, text, image, text: the tokens and each image's first token index. */
function twoImages(family: (typeof families)[number]) {
  const marks = imageIds.get(family)!;
  const run = family === 'llava' ? Array<number>(16).fill(marks[0]!) : [marks[0]!, ...Array<number>(16).fill(marks[1]!), marks[2]!];
  const inner = family === 'llava' ? 0 : 1;
  const first = [1, ...randomTokens(3, 31)];
  const middle = randomTokens(4, 32);
  const tokens = [...first, ...run, ...middle, ...run, ...randomTokens(5, 33)];
  return { tokens, offsets: [first.length + inner, first.length + run.length + middle.length + inner] };
}

describe.each(families)('%s image input', (family) => {
  it('two images in one pass pick as the same prompt fed in three pieces', async () => {
    const model = models.get(family)!;
    const size = sizes[family];
    const features = await Promise.all([1, 2].map((seed) => model.encodeImage(pixels(size, seed), Int32Array.of(1, 3, size, size))));
    const { tokens, offsets } = twoImages(family);
    const whole = await model.verify(1, Int32Array.from(tokens), { temperature: 0 }, { offsets: Int32Array.from(offsets), features });
    // Pieces cut between the images, each piece's image offsets relative to it.
    const cuts = [0, offsets[0]! + 20, offsets[1]! + 17, tokens.length];
    const pieces: number[] = [];
    for (let index = 0; index < 3; index++) {
      const start = cuts[index]!;
      const end = cuts[index + 1]!;
      const inside = offsets.map((offset, image) => ({ offset, image })).filter(({ offset }) => offset >= start && offset < end);
      const images: NativeImages = { offsets: Int32Array.from(inside.map(({ offset }) => offset - start)), features: inside.map(({ image }) => features[image]!) };
      pieces.push(...(await model.verify(2, Int32Array.from(tokens.slice(start, end)), { temperature: 0 }, images)));
    }
    expect(pieces).toEqual(Array.from(whole));
    // Swapping the two images changes what the model picks.
    const swapped = await model.verify(3, Int32Array.from(tokens), { temperature: 0 }, { offsets: Int32Array.from(offsets), features: [features[1]!, features[0]!] });
    expect(Array.from(swapped)).not.toEqual(Array.from(whole));
    for (const sequence of [1, 2, 3]) await model.freeSequence(sequence);
  });

  it('refuses bad images with clear errors', async () => {
    const model = models.get(family)!;
    const size = sizes[family];
    // Malformed arguments throw at the call (as step's do); a wrong image size rejects from the worker.
    expect(() => model.encodeImage(pixels(size, 1), Int32Array.of(1, 3, size, size + 1))).toThrow(/shape does not match/);
    await expect(model.encodeImage(pixels(size + 2, 1), Int32Array.of(1, 3, size + 2, size + 2))).rejects.toThrow(/expects pixels of shape \[1, 3, \d+, \d+\]/);
    const features = await model.encodeImage(pixels(size, 1), Int32Array.of(1, 3, size, size));
    const tokens = Int32Array.from(twoImages(family).tokens);
    const step = (images: unknown) => model.step(4, tokens, { temperature: 0 }, images as NativeImages);
    expect(() => step({ offsets: Int32Array.of(tokens.length - 3), features: [features] })).toThrow(/outside the tokens/);
    expect(() => step({ offsets: Int32Array.of(1, 2), features: [features, features] })).toThrow(/overlaps/);
    expect(() => step({ offsets: Int32Array.of(1), features: [features.subarray(1)] })).toThrow(/whole rows/);
    expect(() => step({ offsets: Int32Array.of(1), features: [] })).toThrow(/one offset per image/);
    expect(() => step({ offsets: [1], features: [features] })).toThrow(/Int32Array/);
  });
});

it('a text-only model says it has no vision tower', async () => {
  await expect(textOnly.encodeImage(pixels(56, 1), Int32Array.of(1, 3, 56, 56))).rejects.toThrow(/no vision tower/);
});
