import { describe, expect, it } from 'vitest';
import { sharedLlama } from '../src/llama-instance.js';
import { createStories } from './fixtures.js';

// On the CPU, models decoding at the same time share one thread budget, the machine's math
// cores, so they split the cores instead of each spinning on all of them
// (bench/multi-model.mjs measures it). With a GPU node-llama-cpp sets no budget.
describe('the GGUF thread budget', () => {
  it('is the math cores on the CPU, raised by a model configured with more threads', async () => {
    const llama = await sharedLlama();
    const budget = llama.gpu === false ? llama.cpuMathCores : 0;
    expect(llama.maxThreads).toBe(budget);
    const model = createStories({ n_threads: llama.cpuMathCores + 1 }, 'more-threads');
    await model.load();
    try {
      expect(llama.maxThreads).toBe(budget === 0 ? 0 : llama.cpuMathCores + 1);
    } finally {
      await model.unload();
    }
  });
});
