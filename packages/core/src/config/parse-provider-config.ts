import { errorCodes, HeylookError } from '../errors/heylook-error.js';
import type { ProviderPlugin } from '../provider/base-provider.js';
import { formatIssues, type ModelEntry } from './load-config.js';

export interface ParsedProviderConfig<Config> {
  config: Config;
  warnings: string[];
}

/**
 * Validates a model's `config:` block with its provider's schema. Keys the schema does not
 * know are a warning, not an error, so heylookitsanllm files (with `mmproj_path`,
 * `eos_token`, ...) still load.
 */
export function parseProviderConfig<Config>(
  plugin: ProviderPlugin<Config>,
  entry: ModelEntry,
): ParsedProviderConfig<Config> {
  const where = (key: string) => entry.locate?.(key) ?? entry.source;
  const result = plugin.configSchema.safeParse(entry.config);
  if (!result.success) {
    throw new HeylookError(
      errorCodes.invalidConfig,
      formatIssues(
        result.error.issues,
        (at) => where(String(at[0] ?? '')),
        `Model "${entry.id}" (${entry.source}) has an invalid ${plugin.providerId} config`,
      ).replace(/: (\w[\w.[\]]*): /g, ': config.$1: '),
      { param: String(result.error.issues[0]?.path[0] ?? '') },
    );
  }
  const shape = (plugin.configSchema as { shape?: Record<string, unknown> }).shape;
  const warnings = shape
    ? Object.keys(entry.config)
        .filter((key) => !(key in shape))
        .map((key) => `${where(key)}: model "${entry.id}": "${key}" is not a ${plugin.providerId} setting and is ignored.`)
    : [];
  return { config: result.data, warnings };
}
