import path from 'node:path';
import type { z } from 'zod';
import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import { modelEntrySchema } from './config-schema.js';
import { formatIssues, type ModelEntry } from './load-config.js';

/** A model written in code, in models.yaml's shape (`keep_alive`, `config`, ...). */
export type ModelDefinition = z.input<typeof modelEntrySchema>;

export interface DefineModelOptions {
  /** Folder relative paths in `config` resolve against (default: the current directory). */
  baseDir?: string;
  /** Where the model came from, for messages (default: "defined in code"). */
  source?: string;
}

/**
 * The router's entry for a model defined in code: validated like a models.yaml entry, with
 * its defaults filled in (enabled, tags, aliases). Throws HEYLOOK_INVALID_CONFIG naming the key.
 */
export function defineModel(definition: ModelDefinition, options: DefineModelOptions = {}): ModelEntry {
  const source = options.source ?? 'defined in code';
  const parsed = modelEntrySchema.safeParse(definition);
  if (!parsed.success) {
    const id = typeof definition?.id === 'string' ? `"${definition.id}"` : '';
    throw new HeylookError(errorCodes.invalidConfig, formatIssues(parsed.error.issues, () => `model ${id}`.trim(), `Invalid model definition (${source})`));
  }
  const { keep_alive: keepAlive, ...entry } = parsed.data;
  return {
    ...entry,
    ...(keepAlive === undefined ? {} : { keepAlive }),
    baseDir: path.resolve(options.baseDir ?? process.cwd()),
    source,
  };
}
