import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from '../config/load-config.js';
import { parseProviderConfig } from '../config/parse-provider-config.js';
import { silentLogger, type BaseProvider, type ProviderContext, type ProviderPlugin } from '../provider/base-provider.js';

/** The test models: HEYLOOK_FIXTURES, or the repository's own `models/` folder. */
export const fixturesDir: string = process.env.HEYLOOK_FIXTURES ?? fileURLToPath(new URL('../../../../models', import.meta.url));

export interface TestModelOptions {
  id?: string;
  /** Folder relative paths resolve against (default: the fixtures folder). */
  baseDir?: string;
}

/** A models.yaml entry for tests. */
export function testModelEntry(provider: string, config: Record<string, unknown>, options: TestModelOptions = {}): ModelEntry {
  return {
    id: options.id ?? 'test',
    provider,
    enabled: true,
    tags: [],
    aliases: [],
    config,
    baseDir: options.baseDir ?? fixturesDir,
    source: 'test',
  };
}

export function testContext(baseDir: string = fixturesDir): ProviderContext {
  return { logger: silentLogger, baseDir };
}

/** A provider's model for `config`, validated like models.yaml; not loaded yet. */
export function createTestModel<Config>(
  plugin: ProviderPlugin<Config>,
  config: Record<string, unknown>,
  options: TestModelOptions = {},
): BaseProvider<Config> {
  const entry = testModelEntry(plugin.providerId, config, options);
  return plugin.create(entry.id, parseProviderConfig(plugin, entry).config, testContext(entry.baseDir));
}

/** Karpathy's greedy stories260K reference story, as PROVENANCE.md records it (565 characters). */
export function referenceStory(): string {
  const provenance = readFileSync(path.join(fixturesDir, 'PROVENANCE.md'), 'utf8');
  const block = provenance.split('-t 0.0`):**')[1]!.split('```')[1]!;
  return block
    .split('\n')
    .slice(1, -1)
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n');
}
