import type { ModelEntry } from '../config/load-config.js';
import { ProviderRegistry } from '../registry/provider-registry.js';
import type { ProviderPlugin } from '../provider/base-provider.js';
import { ModelRouter, type ModelRouterOptions } from '../router/model-router.js';
import { createFakeProviderPlugin, type FakeProviderConfig } from './fake-provider.js';
import { testModelEntry } from './fixtures.js';

/** A router over fake models: `{ id: config }`. Returns the router and the fake's stats. */
export function createTestRouter(
  models: Record<string, Partial<FakeProviderConfig> & { aliases?: string[]; enabled?: boolean; keep_alive?: string | number }>,
  options: Partial<Omit<ModelRouterOptions, 'registry' | 'models'>> = {},
) {
  const { plugin, stats } = createFakeProviderPlugin();
  const registry = new ProviderRegistry();
  registry.register(plugin);
  const entries: ModelEntry[] = Object.entries(models).map(([id, { aliases, enabled, keep_alive, ...config }]) => ({
    ...testModelEntry('fake', config, { id, baseDir: process.cwd() }),
    enabled: enabled ?? true,
    aliases: aliases ?? [],
    keepAlive: keep_alive,
  }));
  const router = new ModelRouter({ registry, models: entries, ...options });
  return { router, stats, registry, plugin };
}

/** A router over real providers: registers `plugin` and serves `models` (from testModelEntry). */
export function createRouterWith<Config>(
  plugin: ProviderPlugin<Config>,
  models: ModelEntry[],
  options: Partial<Omit<ModelRouterOptions, 'registry' | 'models'>> = {},
): ModelRouter {
  const registry = new ProviderRegistry();
  registry.register(plugin as ProviderPlugin);
  return new ModelRouter({ registry, models, ...options });
}
