import { errorCodes, hasErrorCode, type ModelEntry, type ModelRouter } from '@heylook/core';

/** How Ollama shows a name: with a tag, `:latest` when there is none. */
export function ollamaName(id: string): string {
  return id.includes(':') ? id : `${id}:latest`;
}

/** Accepts `name`, `name:latest` and `name:tag` the way Ollama clients send them. */
export function resolveModelName(router: ModelRouter, name: string): ModelEntry {
  try {
    return router.resolve(name);
  } catch (error) {
    if (hasErrorCode(error, errorCodes.noSuchModel) && name.endsWith(':latest')) return router.resolve(name.slice(0, -':latest'.length));
    throw error;
  }
}
