import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorCodes, HeylookError, type ModelInfo } from '@heylook/core';
import { readChatTemplate } from './mlx-tokenizer.js';

export const supportedModelTypes = ['llama', 'mistral', 'qwen2', 'qwen3'];

interface HfConfig {
  model_type?: string;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  vocab_size?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  rope_scaling?: {
    type?: string;
    rope_type?: string;
    factor?: number;
    low_freq_factor?: number;
    high_freq_factor?: number;
    original_max_position_embeddings?: number;
    beta_fast?: number;
    beta_slow?: number;
    mscale?: number;
    mscale_all_dim?: number;
  } | null;
  tie_word_embeddings?: boolean;
  max_position_embeddings?: number;
  torch_dtype?: string;
  quantization?: { bits?: number; group_size?: number };
  bos_token_id?: number;
  eos_token_id?: number | number[];
}

/** config.json, checked, and the shape the native decoder needs. */
export async function readModelConfig(dir: string): Promise<{ raw: HfConfig; native: Record<string, unknown>; contextLength: number }> {
  if (!existsSync(dir)) {
    throw new HeylookError(errorCodes.modelFileNotFound, `MLX model folder not found: ${dir}. Fix model_path.`, { param: 'model_path' });
  }
  let raw: HfConfig;
  try {
    raw = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as HfConfig;
  } catch (error) {
    throw new HeylookError(errorCodes.invalidModelFile, `${dir} has no readable config.json; an MLX model folder needs config.json, *.safetensors and tokenizer.json.`, {
      cause: error,
      param: 'model_path',
    });
  }
  if (!raw.model_type || !supportedModelTypes.includes(raw.model_type)) {
    throw new HeylookError(
      errorCodes.invalidModelFile,
      `${dir}: model_type "${raw.model_type}" is not supported by the mlx provider (supported: ${supportedModelTypes.join(', ')}).`,
      { param: 'model_path' },
    );
  }
  const scaling = raw.rope_scaling;
  const scalingType = scaling?.rope_type ?? scaling?.type;
  if (scaling && scalingType !== 'linear' && scalingType !== 'default' && scalingType !== 'llama3' && scalingType !== 'yarn') {
    throw new HeylookError(errorCodes.invalidModelFile, `${dir}: rope_scaling type "${scalingType}" is not supported by the mlx provider yet (supported: linear, llama3, yarn).`, {
      param: 'model_path',
    });
  }
  const heads = raw.num_attention_heads ?? 0;
  const headDim = raw.head_dim ?? (raw.hidden_size ?? 0) / heads;
  const native = {
    model_type: raw.model_type,
    hidden_size: raw.hidden_size,
    num_hidden_layers: raw.num_hidden_layers,
    num_attention_heads: heads,
    num_key_value_heads: raw.num_key_value_heads ?? heads,
    head_dim: headDim,
    vocab_size: raw.vocab_size,
    rms_norm_eps: raw.rms_norm_eps ?? 1e-5,
    rope_theta: raw.rope_theta ?? 10000,
    rope_scale: scalingType === 'linear' ? (scaling?.factor ?? 1) : 1,
    tie_word_embeddings: raw.tie_word_embeddings ?? false,
    quantization_bits: raw.quantization?.bits ?? 0,
    quantization_group_size: raw.quantization?.group_size ?? 64,
    ...(scalingType === 'llama3' ? { rope_freqs: llama3RopeFrequencies(headDim, raw.rope_theta ?? 10000, scaling!) } : {}),
    ...(scalingType === 'yarn' ? yarnRope(headDim, raw.rope_theta ?? 10000, scaling!, raw.max_position_embeddings) : {}),
  };
  return { raw, native, contextLength: raw.max_position_embeddings ?? 4096 };
}

/** True for a folder holding config.json and at least one *.safetensors file. */
export async function isModelFolder(candidate: string): Promise<boolean> {
  const names = await readdir(candidate).catch(() => undefined);
  return !!names && names.includes('config.json') && names.some((name) => name.endsWith('.safetensors'));
}

/** Facts for listings, read from config.json and the safetensors headers (no weights are read). */
export async function describeFolder(dir: string): Promise<ModelInfo> {
  const { raw, contextLength } = await readModelConfig(dir);
  const names = (await readdir(dir)).sort();
  const weights = names.filter((name) => name.endsWith('.safetensors')).map((name) => path.join(dir, name));
  const files = names.filter((name) => name.endsWith('.safetensors') || name.endsWith('.json') || name.endsWith('.jinja')).map((name) => path.join(dir, name));
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  let parameterCount = 0;
  for (const file of weights) parameterCount += await safetensorsParameterCount(file, raw.quantization?.bits);
  const chatTemplate = await readChatTemplate(dir);
  return {
    format: 'mlx',
    family: raw.model_type ?? 'unknown',
    parameterCount,
    quantization: raw.quantization?.bits ? `Q${raw.quantization.bits}` : (raw.torch_dtype ?? 'float32').replace('float', 'F').replace('bF16', 'BF16'),
    contextLength,
    fileSize: sizes.reduce((sum, size) => sum + size, 0),
    files,
    capabilities: { chat: true, complete: true, embed: true, tools: false, jsonSchema: false, vision: false, infill: false },
    ...(chatTemplate ? { chatTemplate } : {}),
    metadata: {
      'general.architecture': raw.model_type,
      [`${raw.model_type}.context_length`]: contextLength,
      [`${raw.model_type}.block_count`]: raw.num_hidden_layers,
      [`${raw.model_type}.embedding_length`]: raw.hidden_size,
      [`${raw.model_type}.attention.head_count`]: raw.num_attention_heads,
      [`${raw.model_type}.attention.head_count_kv`]: raw.num_key_value_heads ?? raw.num_attention_heads,
    },
  };
}

/** Elements stored in a safetensors file, from its JSON header (packed quantized weights counted unpacked). */
async function safetensorsParameterCount(file: string, bits: number | undefined): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const length = Number(lengthBytes.readBigUInt64LE());
    const header = Buffer.alloc(length);
    await handle.read(header, 0, length, 8);
    const tensors = JSON.parse(header.toString('utf8')) as Record<string, { dtype?: string; shape?: number[] }>;
    let count = 0;
    for (const [name, tensor] of Object.entries(tensors)) {
      if (name === '__metadata__' || name.endsWith('.scales') || name.endsWith('.biases')) continue;
      const elements = (tensor.shape ?? []).reduce((product, size) => product * size, 1);
      count += tensor.dtype === 'U32' && bits ? elements * (32 / bits) : elements;
    }
    return count;
  } finally {
    await handle.close();
  }
}

/**
 * Llama 3.x RoPE scaling: long wavelengths are stretched by `factor`, short ones kept, the
 * band between interpolated. Returns the per-pair periods `fast::rope` takes as `freqs`.
 */
export function llama3RopeFrequencies(dims: number, base: number, scaling: NonNullable<HfConfig['rope_scaling']>): Float32Array {
  const factor = scaling.factor ?? 1;
  const low = scaling.low_freq_factor ?? 1;
  const high = scaling.high_freq_factor ?? 4;
  const original = scaling.original_max_position_embeddings ?? 8192;
  const lowWavelength = original / low;
  const highWavelength = original / high;
  const periods = new Float32Array(dims / 2);
  for (let index = 0; index < dims / 2; index++) {
    const period = base ** ((2 * index) / dims);
    const wavelength = 2 * Math.PI * period;
    if (wavelength < highWavelength) periods[index] = period;
    else if (wavelength > lowWavelength) periods[index] = period * factor;
    else {
      const smooth = (original / wavelength - low) / (high - low);
      periods[index] = period / ((1 - smooth) / factor + smooth);
    }
  }
  return periods;
}

/**
 * YaRN RoPE scaling: dimensions that turn fewer than `beta_slow` times over the original
 * context are interpolated by `factor`, those that turn more than `beta_fast` times are kept,
 * with a linear ramp between; queries and keys are scaled by `mscale` (0.1·ln(factor) + 1).
 */
export function yarnRope(
  dims: number,
  base: number,
  scaling: NonNullable<HfConfig['rope_scaling']>,
  maxPositions: number | undefined,
): { rope_freqs: Float32Array; rope_mscale: number } {
  const factor = scaling.factor ?? 1;
  const original = scaling.original_max_position_embeddings ?? maxPositions ?? 4096;
  const betaFast = scaling.beta_fast ?? 32;
  const betaSlow = scaling.beta_slow ?? 1;
  // The dimension pair whose wavelength completes `rotations` turns over the original context.
  const pairFor = (rotations: number) => (dims * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(Math.floor(pairFor(betaFast)), 0);
  const high = Math.min(Math.ceil(pairFor(betaSlow)), dims / 2 - 1);
  const rope_freqs = new Float32Array(dims / 2);
  for (let index = 0; index < dims / 2; index++) {
    const period = base ** ((2 * index) / dims);
    const ramp = Math.min(1, Math.max(0, (index - low) / Math.max(high - low, 0.001)));
    // ramp 0: keep (extrapolate); ramp 1: interpolate by the factor.
    rope_freqs[index] = 1 / ((1 - ramp) / period + ramp / (period * factor));
  }
  const mscaleOf = (scale: number, weight: number) => (scale <= 1 ? 1 : 0.1 * weight * Math.log(scale) + 1);
  const rope_mscale = mscaleOf(factor, scaling.mscale ?? 1) / mscaleOf(factor, scaling.mscale_all_dim ?? 0);
  return { rope_freqs, rope_mscale };
}
