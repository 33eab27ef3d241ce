import { cpuShare } from '@heylook/core';
import { describe, expect, it } from 'vitest';
import { sharedLlama } from '../src/llama-instance.js';
import { collect, createStories } from './fixtures.js';

// On the CPU, GGUF models loaded together share one thread budget, the machine's math cores,
// so when they decode at the same time they split the cores instead of each spinning on all of
// them (bench/multi-model.mjs measures it). With a GPU node-llama-cpp sets no budget.
describe('the GGUF thread budget', () => {
  it("is node-llama-cpp's default for one model, the math cores for two, and follows n_threads", async () => {
    const llama = await sharedLlama();
    const cpu = llama.gpu === false;
    const cores = llama.cpuMathCores;
    const first = createStories({ n_threads: 1 }, 'first');
    const second = createStories({ n_threads: 1 }, 'second');
    await first.load();
    expect(llama.maxThreads).toBe(cpu ? Math.max(cores, 4) : 0);
    await second.load();
    expect(llama.maxThreads).toBe(cpu ? cores : 0);
    await second.unload();
    expect(llama.maxThreads).toBe(cpu ? Math.max(cores, 4) : 0);
    const wide = createStories({ n_threads: Math.max(cores, 4) + 1 }, 'wide');
    await wide.load();
    expect(llama.maxThreads).toBe(cpu ? Math.max(cores, 4) + 1 : 0);
    await wide.unload();
    await first.unload();
  });

  it("is llama.cpp's share of the cores while another engine (MLX) works, and the budget again after", async () => {
    const llama = await sharedLlama();
    const model = createStories({ n_threads: 1 }, 'shared');
    await model.load();
    const budget = llama.maxThreads;
    const share = cpuShare();
    const other = share.register('test engine', () => {});
    const endOther = other.begin();
    const seen: number[] = [];
    try {
      for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: 8, temperature: 0 })) if (part.type === 'text-delta') seen.push(llama.maxThreads);
    } finally {
      endOther();
      other.dispose();
    }
    expect(seen.length).toBeGreaterThan(0);
    // With a GPU llama.cpp is no CPU engine: its budget stays node-llama-cpp's.
    const expected = llama.gpu === false ? Math.max(1, Math.floor(share.cores / 2)) : budget;
    expect(seen.every((threads) => threads === expected)).toBe(true);
    // Alone again: the budget, and a request decodes as before.
    expect(llama.maxThreads).toBe(budget);
    expect((await collect(model.complete({ prompt: 'Once upon a time', maxTokens: 8, temperature: 0 }))).finish.usage.completionTokens).toBe(8);
    await model.unload();
  });
});
