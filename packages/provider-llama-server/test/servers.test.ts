import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import { ollamaServer } from '@heylook/server-ollama';
import { openaiServer } from '@heylook/server-openai';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { llamaServerProvider } from '../src/index.js';
import { noBinary } from './fixtures.js';

// End to end through the router and both protocol servers: logprobs requests that the servers
// refuse for other providers work for llama-server models.
describe.skipIf(noBinary)('llama-server behind the OpenAI and Ollama servers', () => {
  const router = createRouterWith(llamaServerProvider, [{ ...testModelEntry('llama-server', { model_path: 'stories260K.gguf', n_ctx: 512, parallel: 2 }, { id: 'stories' }) }]);
  const app = Fastify();
  void app.register(openaiServer, { router });
  void app.register(ollamaServer, { router });
  afterAll(async () => {
    await app.close();
    await router.close();
  });

  it('/v1/chat/completions: top_logprobs 3 gives three alternatives led by the greedy token', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'stories', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3 },
    });
    expect(response.statusCode).toBe(200);
    const choice = response.json().choices[0];
    expect(choice.logprobs.content.length).toBeGreaterThan(0);
    for (const entry of choice.logprobs.content) {
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs[0].token).toBe(entry.token);
    }
  }, 120_000);

  it('/v1/completions: legacy logprobs follow the text; /api/generate returns logprobs and context', async () => {
    const legacy = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'stories', prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logprobs: 2 } });
    expect(legacy.statusCode, legacy.body).toBe(200);
    const choice = legacy.json().choices[0];
    expect(choice.logprobs.tokens.join('')).toBe(choice.text);
    expect(Object.keys(choice.logprobs.top_logprobs[0])).toHaveLength(2);
    const ollama = await app.inject({
      method: 'POST',
      url: '/api/generate',
      payload: { model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, logprobs: true, top_logprobs: 1, options: { temperature: 0, num_predict: 6 } },
    });
    const body = ollama.json();
    expect(body.response.startsWith(', there was')).toBe(true);
    expect(body.logprobs).toHaveLength(6);
    expect(body.context.length).toBeGreaterThan(6);
  });
});
