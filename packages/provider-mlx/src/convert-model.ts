import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorCodes, HeylookError } from '@heylook/core';
import { readModelConfig } from './mlx-folder.js';
import { nativeAddon } from './native-binding.js';

export interface ConvertOptions {
  /** 4 or 8; omit to copy the weights unquantized. */
  bits?: 4 | 8;
  groupSize?: 32 | 64 | 128;
  /**
   * Quantize the embedding and LM head too (what mlx_lm.convert does). Off by default: they
   * shape every logit, and on small models 8-bit embeddings flip greedy near-ties.
   */
  quantizeEmbeddings?: boolean;
}

/**
 * Turns a Hugging Face folder of a supported architecture into an MLX folder, optionally quantized, as
 * `mlx_lm.convert` does: quantized weights in model.safetensors, `quantization` in config.json,
 * tokenizer and template files copied. Per-expert MoE weights are stacked into switch_mlp as mlx-lm does.
 */
export async function convertModel(source: string, destination: string, options: ConvertOptions = {}): Promise<void> {
  const { raw, native } = await readModelConfig(source);
  if (raw.quantization) {
    throw new HeylookError(errorCodes.invalidRequest, `${source} is already quantized (${raw.quantization.bits}-bit); convert from the float model.`);
  }
  await mkdir(destination, { recursive: true });
  const model = new (nativeAddon().MlxModel)(source, native);
  const bits = options.bits;
  const groupSize = options.groupSize ?? 64;
  if (bits) {
    await model.quantize(destination, bits, groupSize, options.quantizeEmbeddings ?? false);
  } else {
    for (const name of await readdir(source)) if (name.endsWith('.safetensors')) await copyFile(path.join(source, name), path.join(destination, name));
  }
  for (const name of await readdir(source)) {
    if (name === 'config.json' || name.endsWith('.safetensors') || name === 'model.safetensors.index.json') continue;
    if (/\.(json|jinja|model|txt)$/.test(name)) await copyFile(path.join(source, name), path.join(destination, name));
  }
  const config = JSON.parse(await readFile(path.join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (bits) config.quantization = { group_size: groupSize, bits };
  await writeFile(path.join(destination, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
