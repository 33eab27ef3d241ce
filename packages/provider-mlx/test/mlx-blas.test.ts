import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { collectStream, cpuShare } from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxProvider } from '../src/index.js';
import { nativeAddon } from '../src/native-binding.js';

// On Linux the mlx-cpu wheel's BLAS is netlib's reference one; the addon puts OpenBLAS under
// MLX's float32 matrix products (native/src/blas.cpp). These tests check that MLX's calls
// really reach it, and that the wheel's own BLAS (HEYLOOK_MLX_BLAS=reference) gives the same text.

const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
beforeAll(async () => {
  await model.load();
}, 60_000);
afterAll(async () => {
  await model.unload();
});

const request = { prompt: 'Once upon a time', maxTokens: 60, temperature: 0 };

describe.runIf(process.platform === 'linux')('mlx on the Linux wheel', () => {
  it("runs MLX's float32 matrix products on OpenBLAS", async () => {
    const before = nativeAddon().blas();
    expect(before.library).toMatch(/^OpenBLAS \d/);
    expect(before.threads).toBeGreaterThan(0);
    await collectStream(model.complete!(request));
    // stories260K is float32: every projection of every step is a product MLX hands to cblas_sgemm.
    expect(nativeAddon().blas().products - before.products).toBeGreaterThan(60 * 5 * 4);
  });

  it("runs OpenBLAS on MLX's share of the cores while another engine works, and on all of them again after", async () => {
    const alone = nativeAddon().blas().threads;
    const share = cpuShare();
    const other = share.register('test engine', () => {});
    const expected = Math.max(1, Math.floor(share.cores / 2));
    const endOther = other.begin();
    const seen: number[] = [];
    try {
      for await (const part of model.complete!(request)) if (part.type === 'text-delta') seen.push(nativeAddon().blas().threads);
    } finally {
      endOther();
      other.dispose();
    }
    // The new count applies from the next product on: by the third token it is in force.
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.slice(2).every((threads) => threads === expected)).toBe(true);
    await collectStream(model.complete!({ ...request, maxTokens: 4 }));
    expect(nativeAddon().blas().threads).toBe(alone);
  });

  it("gives the same greedy text with the wheel's reference BLAS", async () => {
    const ours = await collectStream(model.complete!(request));
    const script = `
      import { collectStream } from '@heylook/core';
      import { createTestModel } from '@heylook/core/testing';
      import { mlxProvider } from '@heylook/provider-mlx';
      import { nativeAddon } from './dist/native-binding.js';
      const model = createTestModel(mlxProvider, { model_path: 'stories260K-hf' });
      await model.load();
      const result = await collectStream(model.complete(${JSON.stringify(request)}));
      console.log(JSON.stringify({ text: result.text, blas: nativeAddon().blas() }));
      await model.unload();`;
    const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot,
      env: { ...process.env, HEYLOOK_MLX_BLAS: 'reference' },
    });
    const reference = JSON.parse(stdout.trim().split('\n').at(-1)!) as { text: string; blas: { library: string; products: number } };
    expect(reference.blas.library).toMatch(/^reference/);
    expect(reference.blas.products).toBeGreaterThan(0);
    expect(reference.text).toBe(ours.text);
    expect(ours.text.length).toBeGreaterThan(20);
  });
});
