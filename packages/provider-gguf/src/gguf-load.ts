import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { abortError, errorCodes, HeylookError } from '@heylook/core';
import { JinjaTemplateChatWrapper, resolveChatWrapper, type ChatWrapper, type Llama, type LlamaModel } from 'node-llama-cpp';
import { createChatFormat } from './chat-formats.js';
import type { GgufConfig } from './gguf-config.js';
import { messageOf } from './message-of.js';

/**
 * Flash attention: the config's choice; else off on the CPU for a model whose attention heads
 * are narrower than 128, and llama.cpp's `auto` otherwise. llama.cpp's CPU flash-attention
 * kernel pays per cached token and head, which narrow heads do not repay: decoding slows as
 * the context grows. Measured with bench/gguf-context-bench.mjs on this project's 2-core test
 * machine, off vs on: stories260K (heads of 8) decoded 2.5x faster after 376 tokens of context
 * and 4x after 2965, and its prompts ran 2-4x faster; a random 113M-parameter Q8_0 Llama (heads
 * of 96) decoded 1.4x faster after 376 tokens and 2.4-2.7x after 1500-3000, while its prompts
 * ran 1.35-1.75x slower. With heads of 128 decoding was level up to 1500 tokens (1.3x faster
 * at 2965) and prompts 1.5-1.7x slower, so those keep it. A GPU keeps llama.cpp's choice.
 */
export function flashAttentionFor(llama: Llama, config: GgufConfig, model: LlamaModel): boolean | undefined {
  if (config.flash_attention !== undefined) return config.flash_attention;
  const cpu = llama.gpu === false || config.n_gpu_layers === 0;
  const headWidth = attentionHeadWidth(model);
  return cpu && headWidth !== undefined && headWidth < 128 ? false : undefined;
}

function attentionHeadWidth(model: LlamaModel): number | undefined {
  const { attention, embedding_length: width } = model.fileInfo.architectureMetadata;
  if (attention?.key_length) return attention.key_length;
  const heads = attention?.head_count;
  return typeof heads === 'number' && heads > 0 && width ? width / heads : undefined;
}

/** Loads the weights with the config's GPU and memory settings; a file llama.cpp refuses is a coded error. */
export async function loadLlamaModel(
  llama: Llama,
  config: GgufConfig,
  modelPath: string,
  signal: AbortSignal | undefined,
  onProgress: (fraction: number) => void,
): Promise<LlamaModel> {
  const gpuLayers = config.n_gpu_layers;
  try {
    return await llama.loadModel({
      modelPath,
      gpuLayers: gpuLayers === undefined ? 'auto' : gpuLayers === -1 ? 'max' : gpuLayers,
      useMmap: config.use_mmap,
      useMlock: config.use_mlock,
      defaultContextFlashAttention: config.flash_attention,
      ...(signal ? { loadSignal: signal } : {}),
      onLoadProgress: onProgress,
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw new HeylookError(
      errorCodes.invalidModelFile,
      `llama.cpp could not load ${modelPath}: ${messageOf(error)}. The file may be truncated, corrupt, or of an architecture this llama.cpp does not know.`,
      { cause: error, param: 'model_path' },
    );
  }
}

/** The chat template: a configured Jinja file, a named format, else the model's own (or node-llama-cpp's best match). */
export async function chatWrapperFor(config: GgufConfig, baseDir: string, model: LlamaModel): Promise<ChatWrapper> {
  if (config.chat_format_template) {
    const file = path.resolve(baseDir, config.chat_format_template);
    let template: string;
    try {
      template = await readFile(file, 'utf8');
    } catch (error) {
      throw new HeylookError(errorCodes.invalidConfig, `chat_format_template ${file} cannot be read: ${messageOf(error)}.`, {
        param: 'chat_format_template',
        cause: error,
      });
    }
    return new JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer });
  }
  if (config.chat_format) return createChatFormat(config.chat_format);
  return resolveChatWrapper(model);
}
