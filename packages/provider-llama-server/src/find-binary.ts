import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { errorCodes, HeylookError } from '@heylook/core';
import { findBuiltLlamaServer } from './build/build-llama-server.js';

export type BinarySource = 'config' | 'env' | 'path' | 'cache';

export interface FoundBinary {
  path: string;
  source: BinarySource;
  /** The GPU backend it was built with ('cpu': none), when heylook built it. */
  backend?: string;
}

export interface FindBinaryOptions {
  /** `binary_path` from the model's config, already resolved against its folder. */
  configured?: string;
  env?: NodeJS.ProcessEnv;
  /** The heylook cache root (tests point it elsewhere). */
  cacheDir?: string;
}

/** How to get a binary, for errors and `heylook providers`. */
export const llamaServerHint =
  'Set binary_path in the model config or HEYLOOK_LLAMA_SERVER, put llama-server on PATH, or build one with `heylook llama-server build` (node_modules/.bin/heylook-build-llama-server).';

/**
 * The llama-server to run, first match wins: the model's `binary_path`, $HEYLOOK_LLAMA_SERVER,
 * `llama-server` on PATH, the one `heylook llama-server build` left in the cache. An explicit
 * setting that points nowhere is an error, never silently skipped.
 */
export function findLlamaServerBinary(options: FindBinaryOptions = {}): FoundBinary | undefined {
  const env = options.env ?? process.env;
  if (options.configured) return { path: requireExecutable(options.configured, 'binary_path'), source: 'config' };
  if (env.HEYLOOK_LLAMA_SERVER) return { path: requireExecutable(env.HEYLOOK_LLAMA_SERVER, 'HEYLOOK_LLAMA_SERVER'), source: 'env' };
  const onPath = searchPath('llama-server', env);
  if (onPath) return { path: onPath, source: 'path' };
  const built = findBuiltLlamaServer(options.cacheDir);
  if (built) return { path: built.llamaServerPath, source: 'cache', ...(built.backend ? { backend: built.backend } : {}) };
  return undefined;
}

/** Like findLlamaServerBinary, but a missing binary is a coded load error that says how to get one. */
export function requireLlamaServerBinary(options: FindBinaryOptions = {}): FoundBinary {
  const found = findLlamaServerBinary(options);
  if (!found) throw new HeylookError(errorCodes.loadFailed, `No llama-server binary found. ${llamaServerHint}`, { param: 'binary_path' });
  return found;
}

function requireExecutable(file: string, setting: string): string {
  if (!isExecutable(file)) {
    throw new HeylookError(errorCodes.loadFailed, `${setting} points at ${file}, which is not an executable file.`, { param: 'binary_path' });
  }
  return file;
}

function searchPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`] : [name];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const candidate of names) {
      const file = path.join(dir, candidate);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
