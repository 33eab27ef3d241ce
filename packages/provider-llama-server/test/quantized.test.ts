import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestModel } from '@heylook/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { llamaServerProvider } from '../src/index.js';
import type { LlamaServerModel } from '../src/llama-server-model.js';
import { benchScript, collect, noBinary, writeGguf } from './fixtures.js';

// @ts-expect-error: a plain .mjs script without types.
const { makeRandomLlama } = (await import('../../../bench/make-random-llama.mjs')) as { makeRandomLlama: (dir: string, options: object) => Promise<unknown> };

/** A tiny random-weight Llama in Q8_0 (bench/make-random-llama.mjs, then bench/make-random-gguf.py). */
async function tinyQ8(): Promise<string | undefined> {
  const folder = mkdtempSync(path.join(tmpdir(), 'heylook-tiny-llama-'));
  await makeRandomLlama(folder, { hidden: 256, layers: 2 });
  return writeGguf('the Q8_0 test', benchScript('make-random-gguf.py'), [folder], 'tiny-q8_0.gguf');
}

const model = noBinary ? undefined : await tinyQ8();

/**
 * Q8_0 weights go through llama.cpp's quantized matrix kernels. Built with GGML_NATIVE on a CPU
 * with AMX, llama.cpp v0.4.0's AMX Q8_0 kernel died with SIGILL at the first token; our build
 * compiles AMX out (llamaCppBuildFlags). On other CPUs this checks the quantized path runs.
 */
describe.skipIf(!model)('a Q8_0 model', () => {
  const llm = model === undefined ? undefined : (createTestModel(llamaServerProvider, { model_path: model, n_ctx: 256, parallel: 1 }, { id: 'q8' }) as LlamaServerModel);
  afterAll(async () => llm?.unload());

  it('answers greedily, the same twice', async () => {
    await llm!.load();
    const first = await collect(llm!.complete({ prompt: 'Once upon a time', maxTokens: 16, temperature: 0 }));
    const again = await collect(llm!.complete({ prompt: 'Once upon a time', maxTokens: 16, temperature: 0 }));
    expect(first.finish.usage.completionTokens).toBeGreaterThan(0);
    expect(again.finish.usage.completionTokens).toBe(first.finish.usage.completionTokens);
    expect(again.text).toBe(first.text);
  }, 120_000);
});
