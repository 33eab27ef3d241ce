import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { abortError, attentionHeadWidth, cpuFlashAttention, errorCodes, HeylookError } from '@heylook/core';
import { JinjaTemplateChatWrapper, resolveChatWrapper, type ChatWrapper, type Llama, type LlamaModel } from 'node-llama-cpp';
import { createChatFormat } from './chat-formats.js';
import type { GgufConfig } from './gguf-config.js';
import { messageOf } from './message-of.js';

/** Flash attention: the config's choice, else core's rule on the CPU (cpuFlashAttention), else llama.cpp's `auto`. */
export function flashAttentionFor(llama: Llama, config: GgufConfig, model: LlamaModel): boolean | undefined {
  if (config.flash_attention !== undefined) return config.flash_attention;
  const cpu = llama.gpu === false || config.n_gpu_layers === 0;
  if (!cpu) return undefined;
  const { attention, embedding_length: embeddingLength } = model.fileInfo.architectureMetadata;
  // Some architectures give heads per layer (an array): then only key_length tells the width.
  const headCount = typeof attention?.head_count === 'number' ? attention.head_count : undefined;
  return cpuFlashAttention(attentionHeadWidth({ keyLength: attention?.key_length, embeddingLength, headCount }));
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
