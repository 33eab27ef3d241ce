import { errorCodes, HeylookError } from '@heylook/core';
import type { Qwen2VlSettings } from './image-processor-config.js';
import { pillowResize } from './pillow-resize.js';
import { pixelLookup } from './pixel-lookup.js';
import type { PixelValues } from './pixel-values.js';
import type { RgbImage } from './rgb-image.js';

/**
 * Qwen2VLImageProcessor (Qwen2-VL and Qwen2.5-VL, transformers' PIL backend): resize to the nearest
 * size in multiples of patchSize * mergeSize within [minPixels, maxPixels], rescale, normalize, then
 * flatten into patches. Each row is one patchSize² patch, rows ordered merge block by merge block
 * (so the mergeSize² patches the model merges into one token are adjacent); each row holds channel,
 * then temporal copy (a still image repeats itself temporalPatchSize times), then the patch's pixels.
 */
export function processQwen2Vl(settings: Qwen2VlSettings, image: RgbImage): PixelValues {
  const { patchSize, mergeSize, temporalPatchSize } = settings;
  const factor = patchSize * mergeSize;
  let resized = image;
  if (settings.resize) {
    const [height, width] = smartResize(image.height, image.width, factor, settings.minPixels, settings.maxPixels);
    resized = pillowResize(image, width, height, settings.filter);
  } else if (image.height % factor !== 0 || image.width % factor !== 0) {
    throw new HeylookError(errorCodes.invalidRequest, `The image is ${image.width}x${image.height}; with do_resize false its sides must be multiples of ${factor}.`, { param: 'messages' });
  }
  const gridHeight = resized.height / patchSize;
  const gridWidth = resized.width / patchSize;
  const lookup = pixelLookup(settings);
  const patchArea = patchSize * patchSize;
  const rowLength = 3 * temporalPatchSize * patchArea;
  const data = new Float32Array(gridHeight * gridWidth * rowLength);
  let row = 0;
  for (let blockRow = 0; blockRow < gridHeight / mergeSize; blockRow++) {
    for (let blockColumn = 0; blockColumn < gridWidth / mergeSize; blockColumn++) {
      for (let innerRow = 0; innerRow < mergeSize; innerRow++) {
        for (let innerColumn = 0; innerColumn < mergeSize; innerColumn++, row++) {
          const top = (blockRow * mergeSize + innerRow) * patchSize;
          const left = (blockColumn * mergeSize + innerColumn) * patchSize;
          writePatch(resized, lookup, top, left, patchSize, temporalPatchSize, data, row * rowLength);
        }
      }
    }
  }
  return { data, shape: [gridHeight * gridWidth, rowLength], imageGridThw: [1, gridHeight, gridWidth] };
}

function writePatch(image: RgbImage, lookup: Float32Array, top: number, left: number, patchSize: number, temporalPatchSize: number, out: Float32Array, offset: number): void {
  const patchArea = patchSize * patchSize;
  const pixels = image.data;
  for (let channel = 0; channel < 3; channel++) {
    const first = offset + channel * temporalPatchSize * patchArea;
    const table = channel * 256;
    for (let y = 0; y < patchSize; y++) {
      let pixel = ((top + y) * image.width + left) * 3 + channel;
      let at = first + y * patchSize;
      for (let x = 0; x < patchSize; x++, pixel += 3, at++) {
        const value = lookup[table + pixels[pixel]!]!;
        for (let copy = 0; copy < temporalPatchSize; copy++) out[at + copy * patchArea] = value;
      }
    }
  }
}

/** transformers' smart_resize: [height, width] in multiples of `factor`, aspect ratio kept as nearly as possible. */
export function smartResize(height: number, width: number, factor: number, minPixels: number, maxPixels: number): [number, number] {
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new HeylookError(errorCodes.invalidRequest, `The image is ${width}x${height}; its aspect ratio must be below 200 for this model.`, { param: 'messages' });
  }
  let resizedHeight = roundHalfToEven(height / factor) * factor;
  let resizedWidth = roundHalfToEven(width / factor) * factor;
  if (resizedHeight * resizedWidth > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    resizedHeight = Math.max(factor, Math.floor(height / beta / factor) * factor);
    resizedWidth = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (resizedHeight * resizedWidth < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    resizedHeight = Math.ceil((height * beta) / factor) * factor;
    resizedWidth = Math.ceil((width * beta) / factor) * factor;
  }
  return [resizedHeight, resizedWidth];
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
