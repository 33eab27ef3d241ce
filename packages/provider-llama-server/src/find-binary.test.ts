import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodes } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { findLlamaServerBinary } from './find-binary.js';

async function fakeExecutable(dir: string): Promise<string> {
  const file = path.join(dir, 'llama-server');
  await writeFile(file, '#!/bin/sh\n');
  await chmod(file, 0o755);
  return file;
}

describe('findLlamaServerBinary', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heylook-bin-'));
  const exe = await fakeExecutable(dir);
  const empty = await mkdtemp(path.join(tmpdir(), 'heylook-cache-'));

  it('prefers binary_path, then HEYLOOK_LLAMA_SERVER, then PATH, then the cache', () => {
    expect(findLlamaServerBinary({ configured: exe, env: { HEYLOOK_LLAMA_SERVER: '/nope' } })).toEqual({ path: exe, source: 'config' });
    expect(findLlamaServerBinary({ env: { HEYLOOK_LLAMA_SERVER: exe, PATH: dir } })).toEqual({ path: exe, source: 'env' });
    expect(findLlamaServerBinary({ env: { PATH: `/nonexistent${path.delimiter}${dir}` }, cacheDir: empty })).toEqual({ path: exe, source: 'path' });
    expect(findLlamaServerBinary({ env: { PATH: '' }, cacheDir: empty })).toBeUndefined();
  });

  it('rejects an explicit setting that is not an executable, instead of falling through', () => {
    expect(() => findLlamaServerBinary({ env: { HEYLOOK_LLAMA_SERVER: path.join(dir, 'missing') } })).toThrowError(
      expect.objectContaining({ code: errorCodes.loadFailed, param: 'binary_path' }),
    );
    expect(() => findLlamaServerBinary({ configured: dir })).toThrowError(expect.objectContaining({ code: errorCodes.loadFailed }));
  });
});
