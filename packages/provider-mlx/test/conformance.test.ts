import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProviderConformance } from '@heylook/provider-testkit';
import mlxProvider from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../../../../shared/models');

runProviderConformance({
  name: 'mlx on stories260K-hf',
  plugin: mlxProvider as never,
  config: { model_path: 'stories260K-hf' },
  baseDir: fixtures,
});
