import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/vision/image-input.js';
import { ImageProcessor } from '../../src/vision/image-processor.js';
import { pillowResize, type ResampleFilter } from '../../src/vision/pillow-resize.js';
import type { RgbImage } from '../../src/vision/rgb-image.js';
import { readFloat32, runReference, visionReference, type ProcessAnswer, type ReferenceJob } from './support/vision-reference.js';

// Our preprocessing against Hugging Face transformers' own image processors (PIL backend, the one
// mlx-vlm runs without torch) on the same images: max abs difference <= 1e-3 on the pixel values.
// The configs are those the models publish in preprocessor_config.json.
const clipMean = [0.48145466, 0.4578275, 0.40821073];
const clipStd = [0.26862954, 0.26130258, 0.27577711];
const qwen25Vl = {
  image_processor_type: 'Qwen2VLImageProcessor',
  processor_class: 'Qwen2_5_VLProcessor',
  min_pixels: 3136,
  max_pixels: 12845056,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: clipMean,
  image_std: clipStd,
};
const configs: Record<string, Record<string, unknown>> = {
  // llava-hf/llava-1.5-7b-hf
  'llava-1.5 CLIP': {
    image_processor_type: 'CLIPImageProcessor',
    processor_class: 'LlavaProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { shortest_edge: 336 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 336, width: 336 },
    do_rescale: true,
    rescale_factor: 0.00392156862745098,
    do_normalize: true,
    image_mean: clipMean,
    image_std: clipStd,
  },
  // google/siglip-so400m-patch14-384
  'SigLIP 384': {
    image_processor_type: 'SiglipImageProcessor',
    processor_class: 'SiglipProcessor',
    do_resize: true,
    size: { height: 384, width: 384 },
    resample: 3,
    do_rescale: true,
    rescale_factor: 0.00392156862745098,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  },
  // Qwen/Qwen2.5-VL-7B-Instruct
  'Qwen2.5-VL': qwen25Vl,
  // The same with a pixel budget the large fixture exceeds, so smart_resize scales it down.
  'Qwen2.5-VL max_pixels 100352': { ...qwen25Vl, max_pixels: 100352 },
  // CLIP at 224 with bilinear resampling, to check the other filter HF configs use.
  'CLIP 224 bilinear': { image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, resample: 2 },
};
// Odd sizes so resizing is exercised: smaller than every target, larger than every target, and one
// below Qwen's min_pixels (which scales it up).
const sizes = { small: [97, 61], large: [523, 401], tiny: [23, 37] } as const;
const formats = ['png', 'jpeg'] as const;

type Case = { config: string; size: keyof typeof sizes; format: (typeof formats)[number] };
const cases: Case[] = Object.keys(configs).flatMap((config) =>
  (Object.keys(sizes) as (keyof typeof sizes)[]).flatMap((size) => formats.map((format) => ({ config, size, format }))),
);
const label = ({ config, size, format }: Case) => `${config} / ${size} ${sizes[size].join('x')} / ${format}`;

/** A gradient with seeded noise, so resampling has both smooth areas and edges to get right. */
function fixture(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let channel = 0; channel < 3; channel++) {
        state = (state * 1103515245 + 12345) % 2147483648;
        const gradient = channel === 0 ? (255 * x) / width : channel === 1 ? (255 * y) / height : (255 * (x + y)) / (width + height);
        data[(y * width + x) * 3 + channel] = Math.max(0, Math.min(255, Math.round(gradient + ((state >> 16) % 81) - 40)));
      }
    }
  }
  return data;
}

const rawOf = (width: number, height: number, channels: 1 | 2 | 3 | 4) => ({ raw: { width, height, channels } });
const reference = visionReference();
const referencePath = 'path' in reference ? reference.path : '';
if ('skipped' in reference) console.warn(`Skipping the comparisons with transformers and Pillow: ${reference.skipped}`);
const root = await mkdtemp(path.join(tmpdir(), 'heylook-vision-'));
const encoded = new Map<string, Buffer>();
const answers = new Map<string, { answer: ProcessAnswer; file: string }>();
const table: string[] = [];

beforeAll(async () => {
  for (const [name, [width, height]] of Object.entries(sizes)) {
    const raw = fixture(width, height, width * 7 + height);
    encoded.set(`${name} png`, await sharp(raw, rawOf(width, height, 3)).png().toBuffer());
    encoded.set(`${name} jpeg`, await sharp(raw, rawOf(width, height, 3)).jpeg({ quality: 90 }).toBuffer());
  }
});

afterAll(() => {
  if (table.length) console.log(`against transformers 5.25.0 / Pillow 13.0.0:\n${table.join('\n')}`);
});

describe.skipIf('skipped' in reference)('image preprocessing against transformers', () => {
  beforeAll(async () => {
    const jobs: ReferenceJob[] = [];
    const keys: string[] = [];
    for (const name of Object.keys(sizes)) {
      for (const format of formats) {
        const bytes = encoded.get(`${name} ${format}`)!;
        // JPEG decoders may differ by a little per byte, so the reference processes the exact bytes we
        // decoded (as a lossless PNG): the comparison is then about preprocessing alone.
        const decoded = await decodeImage({ type: 'image', data: bytes });
        const file = path.join(root, `${name}-${format}-as-decoded.png`);
        await writeFile(file, await sharp(decoded.data, rawOf(decoded.width, decoded.height, 3)).png().toBuffer());
        for (const config of Object.keys(configs)) {
          keys.push(`${config} ${name} ${format}`);
          jobs.push({ op: 'process', config: configs[config]!, image: file, output: path.join(root, `${keys.length}.f32`) });
        }
      }
    }
    const results = (await runReference(referencePath, jobs)) as ProcessAnswer[];
    results.forEach((answer, index) => answers.set(keys[index]!, { answer, file: (jobs[index] as { output: string }).output }));
  }, 300_000);

  it.each(cases)('$config / $size / $format', async (testCase) => {
    const { answer, file } = answers.get(`${testCase.config} ${testCase.size} ${testCase.format}`)!;
    const theirs = await readFloat32(file);
    const processor = ImageProcessor.fromConfig(configs[testCase.config]);
    const ours = processor.process(await decodeImage({ type: 'image', data: encoded.get(`${testCase.size} ${testCase.format}`)! }));
    // The PIL backend, not a torch one, produced the reference.
    expect(answer.processor).toMatch(/Pil$/);
    expect(ours.shape).toEqual(answer.shape);
    expect(ours.imageGridThw ?? null).toEqual(answer.image_grid_thw);
    let maxDifference = 0;
    for (let index = 0; index < theirs.length; index++) maxDifference = Math.max(maxDifference, Math.abs(ours.data[index]! - theirs[index]!));
    table.push(`${label(testCase).padEnd(58)} max abs difference ${maxDifference.toExponential(2)}`);
    expect(maxDifference).toBeLessThanOrEqual(1e-3);
  });

  it('the image matters: two different images give different pixel values', () => {
    const processor = ImageProcessor.fromConfig(configs['SigLIP 384']);
    const make = (seed: number): RgbImage => ({ width: 97, height: 61, data: new Uint8Array(fixture(97, 61, seed)) });
    const first = processor.process(make(1)).data;
    const second = processor.process(make(2)).data;
    expect(first.some((value, index) => Math.abs(value - second[index]!) > 0.05)).toBe(true);
  });
});

describe.skipIf('skipped' in reference)('image decoding against Pillow', () => {
  const lossless = new Map<string, Buffer>();
  const theirs = new Map<string, RgbImage>();

  beforeAll(async () => {
    const [width, height] = sizes.small;
    const rgb = fixture(width, height, 5);
    const grey = Buffer.from(rgb.filter((_, index) => index % 3 === 0));
    const rgba = Buffer.alloc(width * height * 4);
    const greyAlpha = Buffer.alloc(width * height * 2);
    for (let pixel = 0; pixel < width * height; pixel++) {
      // Alpha sweeps every value, 0 and 255 included.
      const alpha = pixel % 256;
      rgb.copy(rgba, pixel * 4, pixel * 3, pixel * 3 + 3);
      rgba[pixel * 4 + 3] = alpha;
      greyAlpha[pixel * 2] = grey[pixel]!;
      greyAlpha[pixel * 2 + 1] = alpha;
    }
    lossless.set('rgb.png', await sharp(rgb, rawOf(width, height, 3)).png().toBuffer());
    lossless.set('rgb.webp', await sharp(rgb, rawOf(width, height, 3)).webp({ lossless: true }).toBuffer());
    lossless.set('grey.png', await sharp(grey, rawOf(width, height, 1)).png().toBuffer());
    lossless.set('rgba.png', await sharp(rgba, rawOf(width, height, 4)).png().toBuffer());
    lossless.set('grey-alpha.png', await sharp(greyAlpha, rawOf(width, height, 2)).png().toBuffer());
    lossless.set('palette.png', await sharp(grey, rawOf(width, height, 1)).png({ palette: true }).toBuffer());
    // 16 bits per channel (sharp reads a Uint16Array as such): both sides keep the high byte.
    const wide = Uint16Array.from({ length: width * height * 3 }, (_, index) => (index * 2654435761) % 65536);
    lossless.set('rgb16.png', await sharp(wide, rawOf(width, height, 3)).toColourspace('rgb16').png().toBuffer());
    // Pillow's convert('RGB') drops alpha; transformers composites it onto white first (convert_to_rgb).
    // So the lossless images go through a processor that only converts: no resize, rescale or normalize.
    const convertOnly = { image_processor_type: 'SiglipImageProcessor', do_resize: false, do_rescale: false, do_normalize: false };
    const jobs: ReferenceJob[] = [];
    for (const [name, bytes] of lossless) {
      await writeFile(path.join(root, name), bytes);
      jobs.push({ op: 'process', config: convertOnly, image: path.join(root, name), output: path.join(root, `${name}.f32`) });
    }
    for (const size of Object.keys(sizes)) {
      await writeFile(path.join(root, `${size}.jpg`), encoded.get(`${size} jpeg`)!);
      jobs.push({ op: 'decode', image: path.join(root, `${size}.jpg`), output: path.join(root, `${size}.jpg.rgb`) });
    }
    const results = await runReference(referencePath, jobs);
    for (const [index, job] of jobs.entries()) {
      const name = path.basename(job.image);
      if (job.op === 'decode') {
        const { width, height } = results[index] as { width: number; height: number };
        theirs.set(name, { width, height, data: new Uint8Array(await readFile(job.output)) });
        continue;
      }
      const [, , height, width] = (results[index] as ProcessAnswer).shape as [number, number, number, number];
      const planes = await readFloat32(job.output);
      const data = new Uint8Array(width * height * 3);
      for (let channel = 0; channel < 3; channel++) for (let pixel = 0; pixel < width * height; pixel++) data[pixel * 3 + channel] = planes[channel * width * height + pixel]!;
      theirs.set(name, { width, height, data });
    }
  }, 120_000);

  function byteDifferences(ours: RgbImage, reference: RgbImage): { max: number; mean: number } {
    expect([ours.width, ours.height]).toEqual([reference.width, reference.height]);
    let max = 0;
    let total = 0;
    for (let index = 0; index < reference.data.length; index++) {
      const difference = Math.abs(ours.data[index]! - reference.data[index]!);
      max = Math.max(max, difference);
      total += difference;
    }
    return { max, mean: total / reference.data.length };
  }

  it.each(['rgb.png', 'rgb.webp', 'grey.png', 'rgba.png', 'grey-alpha.png', 'palette.png', 'rgb16.png'])('%s decodes to the same RGB bytes (alpha composited onto white)', async (name) => {
    const ours = await decodeImage({ type: 'image', data: lossless.get(name)! });
    expect(byteDifferences(ours, theirs.get(name)!).max).toBe(0);
  });

  // sharp decodes JPEG with libvips' libjpeg (mozjpeg), Pillow with its libjpeg-turbo. Both descend
  // from libjpeg-turbo and agree exactly on these fixtures, but the JPEG standard leaves the inverse
  // DCT and chroma upsampling's rounding to the decoder, so other builds may differ by a level or
  // two. Preprocessing is compared above on identical bytes; this checks only the decoders, with a
  // bound that still catches a wrong colour conversion or orientation (those move bytes by tens).
  it.each(Object.keys(sizes))('JPEG %s decodes within a few levels of Pillow', async (size) => {
    const ours = await decodeImage({ type: 'image', data: encoded.get(`${size} jpeg`)! });
    const { max, mean } = byteDifferences(ours, theirs.get(`${size}.jpg`)!);
    table.push(`JPEG decode ${size}: max ${max} levels, mean ${mean.toFixed(3)}`);
    expect(max).toBeLessThanOrEqual(4);
  });
});

describe.skipIf('skipped' in reference)('resizing against Pillow', () => {
  // [input width, height, output width, height]: down, up, mixed, one side only, and both sides of
  // Pillow 13's rule for running the vertical pass first (height shrinking by > 2x the width's shrink).
  const resizes = [
    [97, 61, 84, 56], [97, 61, 384, 384], [523, 401, 438, 336], [523, 401, 532, 392], [100, 100, 90, 79], [100, 100, 90, 80],
    [100, 200, 90, 150], [300, 40, 280, 39], [40, 300, 38, 297], [23, 37, 56, 84], [61, 97, 61, 50], [97, 61, 50, 61], [640, 480, 13, 7],
  ] as const;
  const filterNames: ResampleFilter[] = ['bilinear', 'bicubic', 'lanczos'];
  const expected = new Map<string, Uint8Array>();

  beforeAll(async () => {
    const jobs: ReferenceJob[] = [];
    for (const [width, height, outputWidth, outputHeight] of resizes) {
      const image = path.join(root, `resize-${width}x${height}.png`);
      await writeFile(image, await sharp(fixture(width, height, width + height), rawOf(width, height, 3)).png().toBuffer());
      for (const filter of filterNames) jobs.push({ op: 'resize', image, width: outputWidth, height: outputHeight, filter, output: path.join(root, `resize-${jobs.length}.rgb`) });
    }
    await runReference(referencePath, jobs);
    for (const job of jobs as Extract<ReferenceJob, { op: 'resize' }>[]) expected.set(`${job.image} ${job.width}x${job.height} ${job.filter}`, new Uint8Array(await readFile(job.output)));
  }, 120_000);

  it.each(resizes.flatMap((size) => filterNames.map((filter) => [...size, filter] as const)))('%i x %i -> %i x %i %s is byte-identical', (width, height, outputWidth, outputHeight, filter) => {
    const ours = pillowResize({ width, height, data: new Uint8Array(fixture(width, height, width + height)) }, outputWidth, outputHeight, filter);
    const theirs = expected.get(`${path.join(root, `resize-${width}x${height}.png`)} ${outputWidth}x${outputHeight} ${filter}`)!;
    expect(ours.data.length).toBe(theirs.length);
    expect(Buffer.from(ours.data).equals(Buffer.from(theirs))).toBe(true);
  });
});
