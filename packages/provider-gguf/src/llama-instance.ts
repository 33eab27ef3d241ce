import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';

let instance: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding, created on first load (never at import). Prebuilt
 * binaries come from node-llama-cpp's per-platform packages; nothing is built or downloaded.
 *
 * Its thread budget is the machine's math cores (node-llama-cpp's default is at least 4), so
 * models decoding at the same time split the cores instead of each taking all of them: two
 * Q8_0 models on two cores ran 6 + 6 tokens/s with 2 + 2 threads, 75 + 76 split (alone: 201).
 * A model configured with more threads (n_threads) raises the budget to that.
 */
export function sharedLlama(): Promise<Llama> {
  instance ??= getLlama({
    gpu: 'auto',
    build: 'never',
    logLevel: LlamaLogLevel.error,
  })
    .then((llama) => {
      if (llama.gpu === false) llama.maxThreads = Math.max(1, llama.cpuMathCores);
      return llama;
    })
    .catch((error: unknown) => {
      instance = undefined;
      throw error;
    });
  return instance;
}
