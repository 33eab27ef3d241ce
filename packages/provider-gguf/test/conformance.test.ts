import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProviderConformance } from '@heylook/provider-testkit';
import ggufProvider from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.HEYLOOK_FIXTURES ?? path.resolve(here, '../../../../shared/models');

runProviderConformance({
  name: 'gguf on stories260K.gguf',
  plugin: ggufProvider as never,
  config: { model_path: 'stories260K.gguf', n_ctx: 512 },
  baseDir: fixtures,
});
