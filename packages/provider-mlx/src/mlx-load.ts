import path from 'node:path';
import { errorCodes, HeylookError, PrefixSlotPool, type CpuEngine } from '@heylook/core';
import { DecodeBatcher } from './decode-batcher.js';
import { PrefillBatcher } from './prefill-batcher.js';
import { PREFILL_CHUNK } from './token-decoder.js';
import type { GrammarVocabulary } from './grammar/grammar-vocabulary.js';
import { chatFormatOf, type MlxChatFormat } from './mlx-chat-format.js';
import type { MlxConfig } from './mlx-config.js';
import { readModelConfig } from './mlx-folder.js';
import { MlxTokenizer } from './mlx-tokenizer.js';
import type { VisionDescription } from './mlx-vision-config.js';
import { mlxCpuEngine, nativeAddon, type NativeModel } from './native-binding.js';
import { ImageEncoder } from './vision/image-encoder.js';
import { ImageProcessor } from './vision/image-processor.js';

export interface Slot {
  id: number;
  /** What the native sequence holds, in order: ids, with image rows as their content keys. */
  tokens: number[];
}

/** A loaded model folder: the native model, its tokenizer and formats, and the per-request sequences. */
export interface LoadedMlxModel {
  native: NativeModel;
  /** Concurrent requests' prompts, evaluated together. */
  prefiller: PrefillBatcher;
  /** Concurrent requests' decode steps, evaluated together. */
  batcher: DecodeBatcher;
  /** MLX's share of the CPU beside other engines (none on a GPU): requests begin and end work on it. */
  cpu?: CpuEngine;
  /** Draft model for speculative decoding, with sequences mirroring the main model's. */
  draft?: NativeModel;
  tokenizer: MlxTokenizer;
  chatFormat: MlxChatFormat;
  slots: PrefixSlotPool<Slot>;
  contextLength: number;
  /** The vocabulary in the grammar engine, made on the first constrained request. */
  grammar?: Promise<GrammarVocabulary>;
  /** The logit count (the vocabulary a grammar's mask covers). */
  vocabSize: number;
  /** A vision model's image prompt facts and its image encoder. */
  vision?: { spec: VisionDescription; encoder: ImageEncoder };
}

/** Special tokens the output parsers read, so they survive decoding and may appear in constrained output. */
export const markerTokens = ['[TOOL_CALLS]', '[ARGS]', '[CALL_ID]', '<|python_tag|>', '<tool_call>', '</tool_call>', '<think>', '</think>'];

/** Loads the folder at `dir` as `config` describes: weights into the addon, tokenizer, chat formats, draft and vision parts. */
export async function loadMlxModel(config: MlxConfig, dir: string, baseDir: string, signal?: AbortSignal): Promise<LoadedMlxModel> {
  const folder = await readModelConfig(dir);
  signal?.throwIfAborted();
  const native = new (nativeAddon().MlxModel)(dir, { ...folder.native, ...cacheOptions(config, folder.native) });
  try {
    await native.load();
  } catch (error) {
    throw new HeylookError(errorCodes.invalidModelFile, `MLX could not load ${dir}: ${(error as Error).message}`, { cause: error, param: 'model_path' });
  }
  const draft = config.draft_model_path ? await loadDraft(path.resolve(baseDir, config.draft_model_path), folder.raw.vocab_size) : undefined;
  const vision = folder.vision && config.vision !== false ? await loadVision(config, dir, native, folder.vision) : undefined;
  const tokenizer = await MlxTokenizer.load(dir, folder.raw);
  const chatFormat = chatFormatOf(tokenizer.templateText, (text) => tokenizer.tokenId(text) !== undefined);
  tokenizer.keepSpecialTokens(markerTokens);
  const slots = Array.from({ length: config.parallel }, (_, index) => ({ id: index + 1, tokens: [] as number[] }));
  const rotating = cacheTypeOf(config) === 'rotating';
  const cpu = mlxCpuEngine();
  return {
    native,
    ...(cpu ? { cpu } : {}),
    prefiller: new PrefillBatcher(native, PREFILL_CHUNK),
    batcher: new DecodeBatcher(native),
    ...(draft ? { draft } : {}),
    tokenizer,
    chatFormat,
    // A rotating cache forgets its oldest tokens, so its prefix can't be reused.
    slots: new PrefixSlotPool(slots, (slot) => (rotating ? [] : slot.tokens)),
    contextLength: folder.contextLength,
    vocabSize: folder.raw.vocab_size ?? 0,
    ...(vision ? { vision } : {}),
  };
}

/** The KV cache kind the config asks for. */
export function cacheTypeOf(config: MlxConfig): 'standard' | 'rotating' | 'quantized' {
  const { cache_type, kv_bits, max_kv_size } = config;
  return cache_type ?? (kv_bits ? 'quantized' : max_kv_size ? 'rotating' : 'standard');
}

/** The native KV cache settings; a quantized cache must divide each head's keys into whole groups. */
function cacheOptions(config: MlxConfig, native: Record<string, unknown>): Record<string, number> {
  const type = cacheTypeOf(config);
  if (type === 'rotating') {
    if (!config.max_kv_size) throw new HeylookError(errorCodes.invalidConfig, 'cache_type rotating needs max_kv_size.', { param: 'max_kv_size' });
    return { max_kv_size: config.max_kv_size };
  }
  if (type === 'quantized') {
    const headDim = native.head_dim as number;
    const group = config.kv_group_size;
    if (headDim % group !== 0) {
      throw new HeylookError(
        errorCodes.invalidConfig,
        `kv_group_size ${group} does not divide this model's head_dim ${headDim}; use ${[32, 64, 128].filter((size) => headDim % size === 0).join(' or ') || 'cache_type standard'}.`,
        { param: 'kv_group_size' },
      );
    }
    return { kv_bits: config.kv_bits ?? 8, kv_group_size: group, quantized_kv_start: config.quantized_kv_start };
  }
  return {};
}

/** The image side of a vision model folder (readModelConfig found a vision tower and preprocessor_config.json). */
async function loadVision(config: MlxConfig, dir: string, native: NativeModel, spec: VisionDescription): Promise<LoadedMlxModel['vision']> {
  const limits = { maxBytes: config.max_image_bytes, maxPixels: config.max_image_pixels };
  return { spec, encoder: new ImageEncoder(native, await ImageProcessor.fromFolder(dir), limits) };
}

async function loadDraft(dir: string, vocabSize: number | undefined): Promise<NativeModel> {
  const config = await readModelConfig(dir);
  if (config.raw.vocab_size !== vocabSize) {
    throw new HeylookError(
      errorCodes.invalidConfig,
      `draft_model_path ${dir} has a vocabulary of ${config.raw.vocab_size}, the model ${vocabSize}: a draft model must share the tokenizer.`,
      { param: 'draft_model_path' },
    );
  }
  const draft = new (nativeAddon().MlxModel)(dir, config.native);
  await draft.load();
  return draft;
}
