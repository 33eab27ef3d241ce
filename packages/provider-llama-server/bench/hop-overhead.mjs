// The cost of the extra hop: tokens/s of stories260K through heylook's provider (HTTP + SSE
// parsing + stream parts) vs the same llama-server called directly, streaming both ways, in one
// run. Run after `pnpm build` with a llama-server binary: node bench/hop-overhead.mjs
import { createTestModel } from '@heylook/core/testing';
import { llamaServerProvider } from '../dist/index.js';

const tokens = 200;
const rounds = 5;
const model = createTestModel(llamaServerProvider, { model_path: 'stories260K.gguf', n_ctx: 512, parallel: 1, stop_on_bos: false }, { id: 'bench' });
await model.load();
const sampling = { temperature: 0.8, seed: 1 };

async function viaHeylook() {
  let count = 0;
  const started = performance.now();
  for await (const part of model.complete({ prompt: 'Once upon a time', maxTokens: tokens, ...sampling })) {
    if (part.type === 'finish') count = part.usage.completionTokens;
  }
  return count / ((performance.now() - started) / 1000);
}

async function direct() {
  const started = performance.now();
  const response = await fetch(`${model.baseUrl}/completion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Once upon a time', n_predict: tokens, stream: true, ...sampling }),
  });
  let text = '';
  for await (const chunk of response.body) text += Buffer.from(chunk).toString();
  const final = JSON.parse(text.trim().split('\n\n').at(-1).slice(6));
  return final.tokens_predicted / ((performance.now() - started) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
await viaHeylook();
await direct();
const a = [];
const b = [];
for (let i = 0; i < rounds; i++) {
  // Interleaved so machine load hits both alike.
  b.push(await direct());
  a.push(await viaHeylook());
}
await model.unload();
const [heylook, server] = [median(a), median(b)];
console.log(`llama-server direct: ${server.toFixed(0)} tokens/s; through heylook: ${heylook.toFixed(0)} tokens/s (${((heylook / server) * 100).toFixed(0)}%), median of ${rounds} x ${tokens} tokens`);
