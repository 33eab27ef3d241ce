import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ollamaServer } from './ollama-server.js';

// Ollama's logprobs/top_logprobs pass through for models that declare the capability.
function buildApp() {
  const { router } = createTestRouter({ probs: { reply: 'one two', logprobs: true }, plain: { reply: 'one two' } });
  const app = Fastify();
  void app.register(ollamaServer, { router });
  return app;
}

const lines = (body: string) => body.trim().split('\n').map((line) => JSON.parse(line));

describe('Ollama logprobs', () => {
  it('/api/chat returns top-level logprobs per token, streaming and not', async () => {
    const app = buildApp();
    const payload = { model: 'probs', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 3, stream: false };
    const whole = (await app.inject({ method: 'POST', url: '/api/chat', payload })).json();
    expect(whole.logprobs.map((entry: { token: string }) => entry.token).join('')).toBe(whole.message.content);
    expect(whole.logprobs[0].top_logprobs).toHaveLength(3);
    expect(whole.logprobs[0]).toMatchObject({ token: 'one', logprob: -0.25, bytes: [...Buffer.from('one')] });
    const streamed = lines((await app.inject({ method: 'POST', url: '/api/chat', payload: { ...payload, stream: true } })).body);
    const tokens = streamed.filter((line) => !line.done);
    expect(tokens.length).toBeGreaterThan(0);
    for (const line of tokens) expect(line.logprobs[0].top_logprobs).toHaveLength(3);
  });

  it('/api/generate raw returns logprobs; a model without the capability answers 400', async () => {
    const app = buildApp();
    const ok = (await app.inject({ method: 'POST', url: '/api/generate', payload: { model: 'probs', prompt: 'x', raw: true, logprobs: true, stream: false } })).json();
    expect(ok.logprobs[0].top_logprobs).toEqual([]);
    const refused = await app.inject({ method: 'POST', url: '/api/generate', payload: { model: 'plain', prompt: 'x', raw: true, logprobs: true } });
    expect(refused.statusCode).toBe(400);
    const chatRefused = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'plain', messages: [{ role: 'user', content: 'x' }], logprobs: true } });
    expect(chatRefused.statusCode).toBe(400);
    const plain = (await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'probs', messages: [{ role: 'user', content: 'x' }], stream: false } })).json();
    expect(plain.logprobs).toBeUndefined();
  });
});
