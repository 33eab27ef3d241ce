import { describe, expect, it } from 'vitest';
import { sharedLlama } from '../src/llama-instance.js';
import { createStories } from './fixtures.js';

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
});
