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
