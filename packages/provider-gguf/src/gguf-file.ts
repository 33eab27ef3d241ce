import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { assertGgufFile, errorCodes, hasGgufMagic, HeylookError, type ModelInfo } from '@heylook/core';
import { GgmlType, GgufFileType, GgufInsights, readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import type { GgufConfig } from './gguf-config.js';
import { sharedLlama } from './llama-instance.js';

export function resolveModelPath(config: { model_path: string }, baseDir: string): string {
  return path.resolve(baseDir, config.model_path);
}

// The magic check and file assertion live in core, shared with provider-llama-server.
export { assertGgufFile, hasGgufMagic };

/** Reads the GGUF header; a truncated or corrupt header is HEYLOOK_INVALID_MODEL_FILE. */
export async function readHeader(file: string): Promise<GgufFileInfo> {
  await assertGgufFile(file);
  try {
    return await readGgufFileInfo(file, { readTensorInfo: true, logWarnings: false });
  } catch (error) {
    throw new HeylookError(
      errorCodes.invalidModelFile,
      `${file} is not a readable GGUF file (${error instanceof Error ? error.message : String(error)}); it may be truncated or corrupt.`,
      { cause: error, param: 'model_path' },
    );
  }
}

/** Model facts for listings, from the GGUF header. */
export function describeHeader(info: GgufFileInfo, file: string, fileSize: number): ModelInfo {
  const metadata = info.metadata as unknown as { general?: Record<string, unknown>; tokenizer?: Record<string, unknown> };
  const architecture = String(metadata.general?.architecture ?? 'unknown');
  const architectureMetadata = info.architectureMetadata as Record<string, unknown>;
  const parameterCount = (info.tensorInfo ?? []).reduce(
    (sum, tensor) => sum + tensor.dimensions.reduce<number>((product, size) => product * Number(size), 1),
    0,
  );
  const fileType = metadata.general?.file_type;
  const chatTemplate = metadata.tokenizer?.chat_template;
  const flat: Record<string, unknown> = {};
  flatten(info.metadata as unknown as Record<string, unknown>, '', flat);
  return {
    format: 'gguf',
    family: architecture,
    parameterCount,
    quantization: typeof fileType === 'number' ? (GgufFileType[fileType] ?? String(fileType)) : dominantTensorType(info),
    ...(typeof architectureMetadata?.context_length === 'number' ? { contextLength: architectureMetadata.context_length } : {}),
    fileSize,
    files: [file],
    capabilities: {
      chat: true,
      complete: true,
      embed: true,
      tools: true,
      jsonSchema: true,
      vision: false,
      infill: metadata.tokenizer?.ggml !== undefined && (metadata.tokenizer.ggml as Record<string, unknown>).fim_pre_token_id !== undefined,
    },
    ...(typeof chatTemplate === 'string' ? { chatTemplate } : {}),
    metadata: flat,
  };
}

/** Bytes in RAM for the weights plus the context this config creates (CPU estimate). */
export async function estimateMemory(config: GgufConfig, baseDir: string): Promise<number> {
  const info = await readHeader(resolveModelPath(config, baseDir));
  const insights = await GgufInsights.from(info, await sharedLlama());
  const contextSize = config.n_ctx ?? Math.min(insights.trainContextSize ?? 4096, 4096);
  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0, useMmap: config.use_mmap });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    modelGpuLayers: 0,
    sequences: config.parallel,
    batchSize: config.n_batch,
  });
  return weights.cpuRam + weights.gpuVram + context.cpuRam + context.gpuVram;
}

function dominantTensorType(info: GgufFileInfo): string | undefined {
  const counts = new Map<number, number>();
  for (const tensor of info.tensorInfo ?? []) {
    const elements = tensor.dimensions.reduce<number>((product, size) => product * Number(size), 1);
    counts.set(tensor.ggmlType, (counts.get(tensor.ggmlType) ?? 0) + elements);
  }
  const [type] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  return type === undefined ? undefined : GgmlType[type];
}

/** { llama: { context_length: 2048 } } → { "llama.context_length": 2048 }; long arrays are left out. */
function flatten(value: Record<string, unknown>, prefix: string, into: Record<string, unknown>): void {
  for (const [key, item] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (item && typeof item === 'object' && !Array.isArray(item) && !ArrayBuffer.isView(item)) {
      flatten(item as Record<string, unknown>, name, into);
    } else if (Array.isArray(item) || ArrayBuffer.isView(item)) {
      into[name] = (item as ArrayLike<unknown>).length > 64 ? null : Array.from(item as ArrayLike<unknown>);
    } else {
      into[name] = typeof item === 'bigint' ? Number(item) : item;
    }
  }
}

/** The template the config puts in place of the file's (chat_format_template, chat_format), as listings show it. */
export async function withConfiguredTemplate(info: ModelInfo, config: GgufConfig, baseDir: string): Promise<ModelInfo> {
  if (config.chat_format_template) {
    const chatTemplate = await readFile(path.resolve(baseDir, config.chat_format_template), 'utf8').catch(() => undefined);
    if (chatTemplate !== undefined) return { ...info, chatTemplate };
  }
  return config.chat_format ? { ...info, chatFormat: config.chat_format } : info;
}
