import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  // node-llama-cpp's exports do not include package.json, so resolve its entry and walk up.
  let dir = dirname(fileURLToPath(import.meta.resolve('node-llama-cpp')));
  while (!isPackageDir(dir, 'node-llama-cpp')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('node-llama-cpp package folder not found');
    dir = parent;
  }
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

function isPackageDir(dir: string, name: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === name;
  } catch {
    return false;
  }
}
