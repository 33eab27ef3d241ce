/**
 * The float each byte value becomes per channel after transformers' rescale and normalize, as a
 * 3 x 256 table. numpy rescales in float64 and stores float32, then subtracts the float32 mean and
 * divides by the float32 std in float32; `Math.fround` after each step reproduces those roundings
 * exactly (one double operation on float32 inputs, rounded once, equals the float32 operation).
 */
export function pixelLookup(options: { rescale: boolean; rescaleFactor: number; normalize: boolean; mean: readonly number[]; std: readonly number[] }): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let channel = 0; channel < 3; channel++) {
    const mean = Math.fround(options.mean[channel]!);
    const std = Math.fround(options.std[channel]!);
    for (let byte = 0; byte < 256; byte++) {
      let value = options.rescale ? Math.fround(byte * options.rescaleFactor) : byte;
      if (options.normalize) value = Math.fround(Math.fround(value - mean) / std);
      table[channel * 256 + byte] = value;
    }
  }
  return table;
}
