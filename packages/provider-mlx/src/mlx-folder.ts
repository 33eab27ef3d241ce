import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorCodes, HeylookError, type ModelInfo } from '@heylook/core';
import { readChatTemplate } from './mlx-tokenizer.js';
import { architectureSettings, supportedModelTypes, textModelConfig, type ArchitectureKeys } from './mlx-architecture.js';
import { nativeVisionConfig, visionOf, type VisionConfigKeys, type VisionDescription } from './mlx-vision-config.js';

interface HfConfig extends ArchitectureKeys {
  model_type?: string;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  vocab_size?: number;
  rms_norm_eps?: number;
  tie_word_embeddings?: boolean;
  max_position_embeddings?: number;
  torch_dtype?: string;
  /** bits and group_size, plus per-layer exceptions: `"model.layers.0.mlp.gate": { bits: 8, group_size: 64 }`. */
  quantization?: { bits?: number; group_size?: number } & Record<string, unknown>;
  bos_token_id?: number;
  eos_token_id?: number | number[];
  text_config?: Record<string, unknown>;
}

/**
 * config.json, checked, and the shape the native decoder needs. `vision` is set (and the addon
 * loads the vision tower) when a LLaVA or Gemma 3 folder also has preprocessor_config.json.
 */
export async function readModelConfig(dir: string): Promise<{ raw: HfConfig; native: Record<string, unknown>; contextLength: number; vision?: VisionDescription }> {
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
  const hasProcessor = existsSync(path.join(dir, 'preprocessor_config.json'));
  const vision = hasProcessor ? visionOf(raw as VisionConfigKeys, dir) : undefined;
  const nativeVision = hasProcessor ? nativeVisionConfig(raw as VisionConfigKeys, dir) : undefined;
  if (raw.model_type && supportedModelTypes.includes(raw.model_type)) raw = textModelConfig(raw);
  if (!raw.model_type || !supportedModelTypes.includes(raw.model_type)) {
    throw new HeylookError(
      errorCodes.unsupportedModel,
      `${dir}: model_type "${raw.model_type}" is not supported by the mlx provider (supported: ${supportedModelTypes.join(', ')}).`,
      { param: 'model_path' },
    );
  }
  const heads = raw.num_attention_heads ?? 0;
  // Phi-3 has no head_dim key (mlx-lm ignores one there too).
  const headDim = raw.model_type === 'phi3' ? (raw.hidden_size ?? 0) / heads : (raw.head_dim ?? (raw.hidden_size ?? 0) / heads);
  const native = {
    model_type: raw.model_type,
    hidden_size: raw.hidden_size,
    num_hidden_layers: raw.num_hidden_layers,
    num_attention_heads: heads,
    num_key_value_heads: raw.num_key_value_heads ?? heads,
    head_dim: headDim,
    vocab_size: raw.vocab_size,
    rms_norm_eps: raw.rms_norm_eps ?? (raw.model_type === 'gemma3_text' ? 1e-6 : 1e-5),
    ...architectureSettings(raw, headDim, dir),
    tie_word_embeddings: raw.tie_word_embeddings ?? false,
    quantization_bits: raw.quantization?.bits ?? 0,
    quantization_group_size: raw.quantization?.group_size ?? 64,
    quantization_overrides: Object.fromEntries(Object.entries(raw.quantization ?? {}).filter(([, value]) => typeof value === 'object' && value !== null)),
    ...(nativeVision ? { vision: nativeVision } : {}),
  };
  return { raw, native, contextLength: raw.max_position_embeddings ?? 4096, ...(vision ? { vision } : {}) };
}

/** True for a folder holding config.json and at least one *.safetensors file. */
export async function isModelFolder(candidate: string): Promise<boolean> {
  const names = await readdir(candidate).catch(() => undefined);
  return !!names && names.includes('config.json') && names.some((name) => name.endsWith('.safetensors'));
}

/** Facts for listings, read from config.json and the safetensors headers (no weights are read). */
export async function describeFolder(dir: string): Promise<ModelInfo> {
  const { raw, contextLength, vision } = await readModelConfig(dir);
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
    capabilities: { chat: true, complete: true, embed: true, tools: false, jsonSchema: true, vision: !!vision, infill: false },
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
