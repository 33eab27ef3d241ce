import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageDir } from '@heylook/core';

/** Where node-llama-cpp keeps the llama.cpp source it was released with. */
export interface LlamaCppSource {
  /** llama.cpp release tag node-llama-cpp pins (llama/llama.cpp.info.json). */
  readonly tag: string;
  /** Git bundle of that release (llama/gitRelease.bundle): cloned offline, no network. */
  readonly bundlePath: string;
  /** node-llama-cpp's package folder. */
  readonly packageDir: string;
}

/**
 * Finds the llama.cpp source shipped inside node-llama-cpp's npm package. It comes from the
 * package registry, so building llama-server needs no network access.
 */
export function findLlamaCppSource(): LlamaCppSource {
  const dir = findPackageDir(import.meta.resolve('node-llama-cpp'), 'node-llama-cpp');
  const info = JSON.parse(readFileSync(join(dir, 'llama', 'llama.cpp.info.json'), 'utf8')) as {
    tag?: unknown;
  };
  if (typeof info.tag !== 'string' || !/^[\w.-]+$/.test(info.tag)) {
    throw new Error(`node-llama-cpp's llama/llama.cpp.info.json has no usable release tag`);
  }
  const bundlePath = join(dir, 'llama', 'gitRelease.bundle');
  if (!existsSync(bundlePath)) {
    throw new Error(`node-llama-cpp ships no llama.cpp source bundle at ${bundlePath}`);
  }
  return { tag: info.tag, bundlePath, packageDir: dir };
}
