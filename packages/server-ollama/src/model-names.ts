import { errorCodes, hasErrorCode, type ModelEntry, type ModelRouter } from '@heylook/core';

/** How Ollama shows a name: with a tag, `:latest` when there is none. */
export function ollamaName(id: string): string {
  return id.includes(':') ? id : `${id}:latest`;
}

/**
 * Accepts `name`, `name:latest` and `name:tag` the way Ollama clients send them: an id
 * without a tag answers to `:latest`, and an id with `:latest` answers to the bare name.
 */
export function resolveModelName(router: ModelRouter, name: string): ModelEntry {
  try {
    return router.resolve(name);
  } catch (error) {
    if (!hasErrorCode(error, errorCodes.noSuchModel)) throw error;
    const alternative = name.endsWith(':latest') ? name.slice(0, -':latest'.length) : name.includes(':') ? undefined : `${name}:latest`;
    if (alternative === undefined) throw error;
    try {
      return router.resolve(alternative);
    } catch {
      throw error;
    }
  }
}
