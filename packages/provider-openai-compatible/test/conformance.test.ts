import { runProviderConformance } from '@heylook/provider-testkit';
import { afterAll } from 'vitest';
import openAICompatibleProvider from '../src/index.js';
import { fixturesDir, startUpstream } from './helpers.js';

// The kit's config is fixed when the suites are registered, so the upstream starts first.
const upstream = await startUpstream();
afterAll(() => upstream.kill());

runProviderConformance({
  name: 'openai-compatible in front of a heylook serving stories260K.gguf',
  plugin: openAICompatibleProvider as never,
  config: { base_url: upstream.url, model: 'stories' },
  baseDir: fixturesDir,
});
