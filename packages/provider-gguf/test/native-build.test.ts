import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNativeBinding, cpuKey, nativeBindingStatus } from '../src/native-build.js';

/**
 * The cache-and-link half of `heylook gguf build`, on a stand-in node-llama-cpp folder holding a
 * finished local build (compiling llama.cpp takes minutes; bench/peers.mjs runs the real build).
 */
function standIn() {
  const root = mkdtempSync(join(tmpdir(), 'heylook-native-build-'));
  const packageDir = join(root, 'node-llama-cpp');
  const build = join(packageDir, 'llama', 'localBuilds', 'linux-x64', 'Release');
  mkdirSync(build, { recursive: true });
  writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ name: 'node-llama-cpp', version: '3.21.1' }));
  writeFileSync(join(build, 'llama-addon.node'), 'binary');
  writeFileSync(join(build, '..', 'buildDone.status'), '');
  mkdirSync(join(packageDir, 'llama', 'llama.cpp'));
  return { root, packageDir, cacheRoot: join(root, 'cache') };
}

describe('native llama.cpp binding cache', () => {
  it('moves a finished build into the cache keyed by version and CPU, and links it back', async () => {
    const { packageDir, cacheRoot, root } = standIn();
    try {
      expect(nativeBindingStatus({ packageDir, cacheRoot })).toMatchObject({ cached: false, linked: false });
      const first = await buildNativeBinding({ packageDir, cacheRoot });
      expect(first.built).toBe(true);
      expect(first.cacheDir).toBe(join(cacheRoot, 'node-llama-cpp', `3.21.1-${cpuKey()}`, 'linux-x64'));
      expect(readFileSync(join(first.cacheDir, 'Release', 'llama-addon.node'), 'utf8')).toBe('binary');
      expect(lstatSync(first.linkPath).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(first.linkPath, 'Release', 'llama-addon.node'), 'utf8')).toBe('binary');
      expect(existsSync(join(packageDir, 'llama', 'llama.cpp'))).toBe(false);
      expect(nativeBindingStatus({ packageDir, cacheRoot })).toMatchObject({ cached: true, linked: true });

      // A reinstall empties node-llama-cpp's folder: the next build only links the cached one.
      rmSync(join(packageDir, 'llama', 'localBuilds'), { recursive: true });
      expect(nativeBindingStatus({ packageDir, cacheRoot })).toMatchObject({ cached: true, linked: false });
      const again = await buildNativeBinding({ packageDir, cacheRoot });
      expect(again.built).toBe(false);
      expect(readFileSync(join(again.linkPath, 'Release', 'llama-addon.node'), 'utf8')).toBe('binary');
      expect(nativeBindingStatus({ packageDir, cacheRoot })).toMatchObject({ cached: true, linked: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keys the cache by platform, architecture and CPU', () => {
    expect(cpuKey()).toMatch(new RegExp(`^${process.platform}-${process.arch}-[0-9a-f]{12}$`));
    expect(cpuKey()).toBe(cpuKey());
  });
});
