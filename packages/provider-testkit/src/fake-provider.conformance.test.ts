import { createFakeProviderPlugin } from '@heylook/core/testing';
import { runProviderConformance } from './run-provider-conformance.js';

// The kit checked against core's fake provider, so a change to the kit that no provider can
// pass shows up here first.
runProviderConformance({
  name: 'fake',
  plugin: createFakeProviderPlugin().plugin as never,
  config: { reply: 'one two three four five six seven eight nine ten eleven twelve' },
  baseDir: process.cwd(),
});
