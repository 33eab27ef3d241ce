import type { RgbImage } from './rgb-image.js';

/** The PIL filters Hugging Face preprocessor configs use (resample 2, 3 and 1). */
export type ResampleFilter = 'bilinear' | 'bicubic' | 'lanczos';

interface Filter {
  weight: (x: number) => number;
  support: number;
}

const filters: Record<ResampleFilter, Filter> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const distance = Math.abs(x);
      return distance < 1 ? 1 - distance : 0;
    },
  },
  // Keys' cubic convolution with a = -0.5, written in the same operation order as Pillow.
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const distance = Math.abs(x);
      if (distance < 1) return ((a + 2) * distance - (a + 3)) * distance * distance + 1;
      if (distance < 2) return (((distance - 5) * distance + 8) * distance - 4) * a;
      return 0;
    },
  },
  lanczos: {
    support: 3,
    weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

function sinc(x: number): number {
  if (x === 0) return 1;
  const angle = x * Math.PI;
  return Math.sin(angle) / angle;
}

/**
 * Fractional bits of the fixed-point weights: 32-bit sums of 8-bit pixels with room for overshoot.
 * The passes sum with Math.imul and `| 0`, as Pillow's C does in int, which keeps V8 in int32 arithmetic.
 */
const precisionBits = 32 - 8 - 2;

/** Per output pixel: the first input index, how many inputs it reads, and their fixed-point weights (`size` slots each). */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  size: number;
}

function coefficients(inputSize: number, outputSize: number, filter: Filter): Coefficients {
  const scale = inputSize / outputSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outputSize);
  const count = new Int32Array(outputSize);
  const weights = new Int32Array(outputSize * size);
  const raw = new Float64Array(size);
  const inverseScale = 1 / filterScale;
  for (let output = 0; output < outputSize; output++) {
    const center = (output + 0.5) * scale;
    // Pillow truncates toward zero here (a C int cast); negative starts are clamped to 0 either way.
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inputSize);
    let total = 0;
    for (let index = 0; index < end - start; index++) {
      raw[index] = filter.weight((index + start - center + 0.5) * inverseScale);
      total += raw[index]!;
    }
    for (let index = 0; index < end - start; index++) {
      const weight = total === 0 ? raw[index]! : raw[index]! / total;
      weights[output * size + index] = Math.trunc(weight < 0 ? weight * (1 << precisionBits) - 0.5 : weight * (1 << precisionBits) + 0.5);
    }
    first[output] = start;
    count[output] = end - start;
  }
  return { first, count, weights, size };
}

/** Rounds a fixed-point sum back to a byte, clamped to 0..255. */
function toByte(sum: number): number {
  const value = sum >> precisionBits;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

const half = 1 << (precisionBits - 1);

/**
 * Resizes an 8-bit RGB image the way Pillow's `Image.resize` does, so that pixel values equal what
 * Hugging Face's PIL-backed image processors (and mlx-vlm, which uses them) feed the model. Pillow
 * resamples with a separable convolution, one pass per axis through an 8-bit intermediate image.
 * Each output pixel's filter is stretched by the downscale factor (antialiasing), its weights are
 * normalised to sum to one and then turned into fixed-point integers, and every pass rounds and
 * clamps to 0..255. Matching those integer steps and the pass order, not only the filter shape, is
 * what makes the result byte-identical; libvips (sharp) uses other kernels, so it is not used here.
 * The pass order follows Pillow 13 (older versions always went horizontal first).
 */
export function pillowResize(image: RgbImage, width: number, height: number, filterName: ResampleFilter): RgbImage {
  if (width === image.width && height === image.height) return { width, height, data: image.data.slice() };
  const filter = filters[filterName];
  const horizontal = width === image.width ? undefined : coefficients(image.width, width, filter);
  const vertical = height === image.height ? undefined : coefficients(image.height, height, filter);
  if (!horizontal) return resizeColumns(image, height, vertical!);
  if (!vertical) return resizeRows(image, width, 0, image.height, horizontal);
  // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many
  // pixels as the width does; the order changes the 8-bit intermediate, so it must match.
  if (height < image.height && image.height - height > (image.width - width) * 2) {
    return resizeRows(resizeColumns(image, height, vertical), width, 0, height, horizontal);
  }
  // Otherwise horizontal first, computing only the source rows the vertical pass reads.
  const firstRow = vertical.first[0]!;
  const lastRow = vertical.first[height - 1]! + vertical.count[height - 1]!;
  for (let row = 0; row < height; row++) vertical.first[row] = vertical.first[row]! - firstRow;
  return resizeColumns(resizeRows(image, width, firstRow, lastRow, horizontal), height, vertical);
}

function resizeRows(image: RgbImage, width: number, firstRow: number, lastRow: number, horizontal: Coefficients): RgbImage {
  const rows = lastRow - firstRow;
  const source = image.data;
  const data = new Uint8Array(width * rows * 3);
  const { first, count, weights, size } = horizontal;
  for (let row = 0; row < rows; row++) {
    const rowStart = (row + firstRow) * image.width * 3;
    for (let column = 0; column < width; column++) {
      let red = half;
      let green = half;
      let blue = half;
      const weightStart = column * size;
      const taps = count[column]!;
      let pixel = rowStart + first[column]! * 3;
      for (let tap = 0; tap < taps; tap++, pixel += 3) {
        const weight = weights[weightStart + tap]!;
        red = (red + Math.imul(source[pixel]!, weight)) | 0;
        green = (green + Math.imul(source[pixel + 1]!, weight)) | 0;
        blue = (blue + Math.imul(source[pixel + 2]!, weight)) | 0;
      }
      const out = (row * width + column) * 3;
      data[out] = toByte(red);
      data[out + 1] = toByte(green);
      data[out + 2] = toByte(blue);
    }
  }
  return { width, height: rows, data };
}

/** Row by row: each source row the output row reads is added whole, weighted, to one accumulator row (cache-friendly). */
function resizeColumns(image: RgbImage, height: number, vertical: Coefficients): RgbImage {
  const stride = image.width * 3;
  const source = image.data;
  const data = new Uint8Array(stride * height);
  const sums = new Int32Array(stride);
  const { first, count, weights, size } = vertical;
  for (let row = 0; row < height; row++) {
    sums.fill(half);
    const weightStart = row * size;
    const taps = count[row]!;
    for (let tap = 0; tap < taps; tap++) {
      const weight = weights[weightStart + tap]!;
      const sourceStart = (first[row]! + tap) * stride;
      for (let index = 0; index < stride; index++) sums[index] = (sums[index]! + Math.imul(source[sourceStart + index]!, weight)) | 0;
    }
    const out = row * stride;
    for (let index = 0; index < stride; index++) data[out + index] = toByte(sums[index]!);
  }
  return { width: image.width, height, data };
}
