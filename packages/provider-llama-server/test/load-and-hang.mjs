// Test helper for faults.test.ts: loads stories260K in llama-server, prints the child's pid and
// waits to be killed. Imports the built package (dist), so run `pnpm build` first.
import { createTestModel } from '@heylook/core/testing';
import { llamaServerProvider } from '../dist/index.js';

const model = createTestModel(llamaServerProvider, { model_path: 'stories260K.gguf', n_ctx: 256, parallel: 1 }, { id: 'hang' });
await model.load();
process.stdout.write(`pid ${model.pid}\n`);
setInterval(() => {}, 1000);
