import { fixturesDir } from '@heylook/core/testing';
import { runProviderConformance } from '@heylook/provider-testkit';
import ggufProvider from '../src/index.js';


runProviderConformance({
  name: 'gguf on stories260K.gguf',
  plugin: ggufProvider as never,
  config: { model_path: 'stories260K.gguf', n_ctx: 512 },
  endToken: 2, // stories260K's </s>
  baseDir: fixturesDir,
});
