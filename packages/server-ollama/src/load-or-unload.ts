import { parseKeepAlive, type ModelRouter } from '@heylook/core';

/**
 * Ollama's documented semantics for a request with no prompt: load the model (and honour
 * keep_alive), or with keep_alive 0 unload it. Returns the done_reason to report.
 */
export async function loadOrUnload(
  router: ModelRouter,
  modelId: string,
  keepAlive: string | number | undefined,
  signal: AbortSignal,
): Promise<'load' | 'unload'> {
  if (keepAlive !== undefined && parseKeepAlive(keepAlive) === 0) {
    await router.unload(modelId);
    return 'unload';
  }
  await router.load(modelId, { signal, keepAlive });
  return 'load';
}
