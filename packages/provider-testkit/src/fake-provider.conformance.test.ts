import { createFakeProviderPlugin } from '@heylook/core/testing';
import { runProviderConformance } from './run-provider-conformance.js';

// The kit checked against core's fake provider, so a change to the kit that no provider can
// pass shows up here first. The fake only scripts tool calls and JSON, so here it declares neither.
runProviderConformance({
  name: 'fake',
  plugin: createFakeProviderPlugin().plugin as never,
  config: { reply: 'one two three four five six seven eight nine ten eleven twelve', structured_output: false },
  baseDir: process.cwd(),
});
