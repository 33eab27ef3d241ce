import { fixturesDir } from '@heylook/core/testing';
import { runProviderConformance } from '@heylook/provider-testkit';
import { describe, it } from 'vitest';
import llamaServerProvider from '../src/index.js';
import { noBinary } from './fixtures.js';

if (noBinary) {
  describe.skip('provider conformance: llama-server (no binary)', () => {
    it('needs a llama-server binary', () => {});
  });
} else {
  runProviderConformance({
    name: 'llama-server on stories260K.gguf',
    plugin: llamaServerProvider as never,
    config: { model_path: 'stories260K.gguf', n_ctx: 512, parallel: 4 },
    endToken: 2, // stories260K's </s>
    baseDir: fixturesDir,
  });
}
