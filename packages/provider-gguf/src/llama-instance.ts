import { cpuShare, type CpuEngine } from '@heylook/core';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';

let instance: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding, created on first load (never at import). Prebuilt
 * binaries come from node-llama-cpp's per-platform packages; nothing is built or downloaded.
 */
export function sharedLlama(): Promise<Llama> {
  instance ??= getLlama({
    gpu: 'auto',
    build: 'never',
    logLevel: LlamaLogLevel.error,
  }).catch((error: unknown) => {
    instance = undefined;
    throw error;
  });
  return instance;
}

/** Threads of each loaded model, by model. */
const loadedThreads = new Map<object, number>();
/** The thread budget the loaded models ask for (setThreadBudget), and the cap CpuShare sets while another engine works. */
let budget = 0;
let share: number | undefined;
let engine: CpuEngine | undefined;

/**
 * llama.cpp's work on the CPU, as one engine of the process's CpuShare: while another engine
 * (MLX) works too, the binding's thread budget is llama.cpp's share of the cores, and node-llama-cpp
 * splits that between the contexts decoding. None with a GPU.
 */
export function llamaCpuEngine(llama: Llama): CpuEngine | undefined {
  if (llama.gpu !== false) return undefined;
  engine ??= cpuShare().register('llama.cpp', (threads) => {
    share = threads;
    llama.maxThreads = budgetNow();
  });
  return engine;
}

/** The budget, capped by the share while another engine works. */
function budgetNow(): number {
  return share === undefined ? budget : Math.min(share, budget);
}

/**
 * Sets the binding's thread budget (on the CPU; with a GPU node-llama-cpp sets none) from the
 * loaded models. With two or more, it is the machine's math cores, so models decoding at the
 * same time split the cores instead of each taking all of them: two Q8_0 models on two cores
 * ran 6 + 6 tokens/s with 2 + 2 threads, 75 + 81 split (alone: 201-223; bench/multi-model.mjs).
 * With one, node-llama-cpp's own default (at least 4): a budget the model fills adds a wait per
 * batch, measured 8% slower at 4 streams. A model configured with more threads raises either.
 */
export function setThreadBudget(llama: Llama, model: object, threads: number | undefined): void {
  if (threads === undefined) loadedThreads.delete(model);
  else loadedThreads.set(model, threads);
  if (llama.gpu !== false) return;
  const cores = Math.max(1, llama.cpuMathCores);
  budget = Math.max(loadedThreads.size > 1 ? cores : Math.max(cores, 4), ...loadedThreads.values());
  llama.maxThreads = budgetNow();
}
