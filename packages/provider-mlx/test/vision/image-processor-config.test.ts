import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { ImageProcessor } from '../../src/vision/image-processor.js';
import { smartResize } from '../../src/vision/qwen2-vl-image-processor.js';

describe('ImageProcessor settings', () => {
  it('reads a model folder, filling the class defaults transformers fills', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'heylook-preprocessor-'));
    await writeFile(path.join(folder, 'preprocessor_config.json'), JSON.stringify({ image_processor_type: 'CLIPImageProcessorFast', size: { shortest_edge: 336 }, crop_size: 336 }));
    const { settings } = await ImageProcessor.fromFolder(folder);
    expect(settings).toMatchObject({ kind: 'clip', filter: 'bicubic', size: { shortestEdge: 336 }, crop: { height: 336, width: 336 }, rescaleFactor: 1 / 255, mean: [0.48145466, 0.4578275, 0.40821073] });
    expect(ImageProcessor.fromConfig({ image_processor_type: 'SiglipImageProcessor' }).settings).toMatchObject({ kind: 'siglip', size: { height: 224, width: 224 }, crop: undefined, mean: [0.5, 0.5, 0.5] });
    // Qwen's own configs put min_pixels/max_pixels at the top level; they win over size.
    expect(ImageProcessor.fromConfig({ image_processor_type: 'Qwen2VLImageProcessor', size: { shortest_edge: 1, longest_edge: 2 }, min_pixels: 3136, max_pixels: 12845056 }).settings).toMatchObject({
      kind: 'qwen2-vl',
      minPixels: 3136,
      maxPixels: 12845056,
      patchSize: 14,
      mergeSize: 2,
      temporalPatchSize: 2,
    });
  });

  it('refuses a folder without preprocessor_config.json, an unknown processor and an unsupported filter with coded errors', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'heylook-preprocessor-'));
    await expect(ImageProcessor.fromFolder(folder)).rejects.toMatchObject({ code: errorCodes.invalidModelFile, param: 'model_path' });
    expect(() => ImageProcessor.fromConfig({ image_processor_type: 'Idefics3ImageProcessor' })).toThrow(expect.objectContaining({ code: errorCodes.unsupportedModel }));
    expect(() => ImageProcessor.fromConfig({ image_processor_type: 'Gemma3ImageProcessor', do_pan_and_scan: true })).toThrow(expect.objectContaining({ code: errorCodes.unsupportedModel }));
    expect(ImageProcessor.fromConfig({ image_processor_type: 'Gemma3ImageProcessor' }).settings).toMatchObject({ kind: 'siglip', filter: 'bilinear', mean: [0.5, 0.5, 0.5] });
    expect(() => ImageProcessor.fromConfig({})).toThrow(expect.objectContaining({ code: errorCodes.unsupportedModel, message: expect.stringMatching(/image_processor_type is missing/) }));
    expect(() => ImageProcessor.fromConfig({ image_processor_type: 'CLIPImageProcessor', resample: 0 })).toThrow(expect.objectContaining({ code: errorCodes.invalidModelFile }));
    expect(() => ImageProcessor.fromConfig({ image_processor_type: 'CLIPImageProcessor', image_mean: 'x' })).toThrow(expect.objectContaining({ code: errorCodes.invalidModelFile }));
  });
});

describe('smartResize', () => {
  it('rounds halves to even as Python does, and keeps within the pixel bounds', () => {
    // 42 / 28 = 1.5 rounds to 2 and 70 / 28 = 2.5 rounds to 2 in Python.
    expect(smartResize(42, 70, 28, 3136, 12845056)).toEqual([56, 56]);
    expect(smartResize(10, 10, 28, 3136, 12845056)).toEqual([56, 56]);
    const [height, width] = smartResize(4000, 3000, 28, 3136, 1_000_000);
    expect(height * width).toBeLessThanOrEqual(1_000_000);
    expect([height % 28, width % 28]).toEqual([0, 0]);
  });

  it('refuses an aspect ratio over 200 with a coded invalid request', () => {
    expect(() => smartResize(10, 2010, 28, 3136, 12845056)).toThrow(expect.objectContaining({ code: errorCodes.invalidRequest }));
  });
});
