import { fixturesDir } from '@heylook/core/testing';
import { runProviderConformance } from '@heylook/provider-testkit';
import mlxProvider from '../src/index.js';


runProviderConformance({
  name: 'mlx on stories260K-hf',
  plugin: mlxProvider as never,
  config: { model_path: 'stories260K-hf' },
  baseDir: fixturesDir,
});
