import path from 'node:path';
import { stat } from 'node:fs/promises';
import { attentionHeadWidth, readGgufHeader, type GgufHeader, type ModelInfo } from '@heylook/core';
import type { LlamaServerConfig } from './llama-server-config.js';

/** llama-server's compute buffers and process overhead, roughly, on top of weights and KV cache. */
const overheadBytes = 64 * 1024 * 1024;

const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Bytes the loaded model takes, from the GGUF header: the weights (the file, mmapped), the f16 KV
 * cache for the context this config creates, the projector, and a fixed overhead.
 */
export async function estimateMemory(config: LlamaServerConfig, baseDir: string): Promise<number> {
  const modelPath = path.resolve(baseDir, config.model_path);
  const header = await readGgufHeader(modelPath);
  const { size } = await stat(modelPath);
  const projector = config.mmproj_path ? (await stat(path.resolve(baseDir, config.mmproj_path))).size : 0;
  return size + projector + kvCacheBytes(header, config) + overheadBytes;
}

/** K and V, f16, for every layer and every token of every slot. */
export function kvCacheBytes(header: GgufHeader, config: Pick<LlamaServerConfig, 'n_ctx' | 'parallel'>): number {
  const key = archKey(header);
  const layers = key('block_count') ?? 0;
  const embedding = key('embedding_length') ?? 0;
  const heads = key('attention.head_count') ?? 1;
  const kvHeads = key('attention.head_count_kv') ?? heads;
  const keyLength = headWidthOf(header) ?? 0;
  const valueLength = key('attention.value_length') ?? embedding / heads;
  // Same default as the provider: n_ctx per slot, else the training context capped at 4096.
  const perSlot = config.n_ctx ?? Math.min(key('context_length') ?? 4096, 4096);
  return 2 * layers * perSlot * config.parallel * kvHeads * (keyLength + valueLength);
}

/** The width of an attention head (its key length), from the header (core's attentionHeadWidth). */
export function headWidthOf(header: GgufHeader): number | undefined {
  const key = archKey(header);
  return attentionHeadWidth({ keyLength: key('attention.key_length'), embeddingLength: key('embedding_length'), headCount: key('attention.head_count') ?? 1 });
}

/** A number the header gives under the model's architecture (`llama.block_count`, …). */
function archKey(header: GgufHeader): (name: string) => number | undefined {
  const arch = String(header.metadata['general.architecture'] ?? 'llama');
  return (name) => number(header.metadata[`${arch}.${name}`]);
}

/**
 * Whether llama-server can take tools for this model: its chat template renders them (else
 * llama-server answers in plain text whatever tool_choice says).
 */
export function templateTakesTools(metadata: GgufHeader['metadata']): boolean {
  const template = metadata['tokenizer.chat_template'];
  return typeof template === 'string' && /\btools\b/.test(template);
}

/** Facts for listings, read from the header without starting llama-server. */
export async function describeModel(config: LlamaServerConfig, baseDir: string): Promise<ModelInfo> {
  const modelPath = path.resolve(baseDir, config.model_path);
  const header = await readGgufHeader(modelPath);
  const { size } = await stat(modelPath);
  const meta = header.metadata;
  const arch = String(meta['general.architecture'] ?? 'unknown');
  const contextLength = number(meta[`${arch}.context_length`]);
  const chatTemplate = meta['tokenizer.chat_template'];
  const generates = !config.embedding;
  return {
    format: 'gguf',
    family: arch,
    parameterCount: header.tensors.reduce((sum, tensor) => sum + tensor.dimensions.reduce((a, b) => a * b, 1), 0),
    ...(contextLength !== undefined ? { contextLength } : {}),
    fileSize: size,
    files: [modelPath, ...(config.mmproj_path ? [path.resolve(baseDir, config.mmproj_path)] : [])],
    capabilities: {
      chat: generates,
      complete: generates,
      embed: config.embedding,
      tools: generates && templateTakesTools(meta),
      jsonSchema: generates,
      vision: generates && config.mmproj_path !== undefined,
      logprobs: generates,
    },
    ...(typeof chatTemplate === 'string' ? { chatTemplate } : {}),
    metadata: meta,
  };
}
