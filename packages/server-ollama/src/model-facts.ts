import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ModelInfo } from '@heylook/core';

const digests = new Map<string, Promise<string>>();

/**
 * sha256 of a model's files (of their digests, for several files), computed once per
 * file version and cached, the way Ollama names blobs.
 */
export async function modelDigest(files: string[]): Promise<string> {
  const each = await Promise.all(files.map(fileDigest));
  if (each.length === 1) return each[0]!;
  return createHash('sha256').update(each.join('\n')).digest('hex');
}

async function fileDigest(file: string): Promise<string> {
  const info = await stat(file);
  const key = `${file}:${info.size}:${info.mtimeMs}`;
  let digest = digests.get(key);
  if (!digest) {
    digest = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', reject);
    });
    digest.catch(() => digests.delete(key));
    digests.set(key, digest);
  }
  return digest;
}

export async function modifiedAt(files: string[]): Promise<string> {
  const times = await Promise.all(files.map(async (file) => (await stat(file)).mtime.getTime()));
  return new Date(Math.max(0, ...times)).toISOString();
}

/** 292800 → "292.80K", 8.03e9 → "8.0B", as Ollama prints parameter sizes. */
export function formatParameterSize(count: number | undefined): string {
  if (!count) return '';
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(2)}K`;
  return String(count);
}

export function modelDetails(info: ModelInfo) {
  return {
    parent_model: '',
    format: info.format ?? '',
    family: info.family ?? '',
    families: info.family ? [info.family] : null,
    parameter_size: formatParameterSize(info.parameterCount),
    quantization_level: info.quantization ?? '',
  };
}

/** Ollama's capability names for a model. */
export function ollamaCapabilities(info: ModelInfo): string[] {
  const capabilities = info.capabilities ?? {};
  return [
    ...(capabilities.chat !== false ? ['completion'] : []),
    ...(capabilities.tools ? ['tools'] : []),
    ...(capabilities.vision ? ['vision'] : []),
    ...(capabilities.embed ? ['embedding'] : []),
    ...(capabilities.infill ? ['insert'] : []),
  ];
}
