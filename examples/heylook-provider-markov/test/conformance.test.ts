import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProviderConformance } from '@heylook/provider-testkit';
import markov from '../src/index.js';

runProviderConformance({
  name: 'markov',
  plugin: markov,
  config: { model_path: 'corpus/fox-and-crow.txt' },
  baseDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  prompt: 'The fox',
});
