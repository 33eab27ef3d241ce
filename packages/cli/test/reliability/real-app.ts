import { ModelRouter, ProviderRegistry, type ModelEntry, type ModelRouterOptions } from '@heylook/core';
import { createFakeProviderPlugin, testModelEntry, type FakeProviderConfig } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import type { FastifyInstance } from 'fastify';
import { createServer, type HttpSettings } from '../../src/create-server.js';

/** A stories260K entry: one thread (the default of four is ~1000x slower on small machines), n_ctx 256. */
export function storiesEntry(id: string, config: Record<string, unknown> = {}): ModelEntry {
  return testModelEntry('gguf', { model_path: 'stories260K.gguf', n_ctx: 256, n_threads: 1, parallel: 2, ...config }, { id });
}

/** Two ids over the real stories260K, one thread each (see PROVENANCE.md), small contexts. */
export function storiesModels(ids: string[] = ['stories', 'tales'], config: Record<string, unknown> = {}): ModelEntry[] {
  return ids.map((id) => storiesEntry(id, config));
}

export interface RealAppOptions {
  models?: ModelEntry[];
  /** Fake models (provider `fake`) next to the real ones, for faults a real model cannot be made to show. */
  fakes?: Record<string, Partial<FakeProviderConfig>>;
  router?: Partial<Omit<ModelRouterOptions, 'registry' | 'models'>>;
  settings?: Partial<HttpSettings>;
}

/** The real app `serve` runs (createServer), over the real gguf provider on the fixture models. */
export async function createRealApp(options: RealAppOptions = {}): Promise<{ app: FastifyInstance; router: ModelRouter; fakeStats: ReturnType<typeof createFakeProviderPlugin>['stats'] }> {
  const registry = new ProviderRegistry();
  registry.register(ggufProvider);
  const fake = createFakeProviderPlugin();
  registry.register(fake.plugin);
  const fakes = Object.entries(options.fakes ?? {}).map(([id, config]) => testModelEntry('fake', config, { id }));
  const router = new ModelRouter({ registry, models: [...(options.models ?? storiesModels()), ...fakes], ...options.router });
  const app = await createServer({ router, ...(options.settings ? { settings: options.settings } : {}) });
  return { app, router, fakeStats: fake.stats };
}
