import { createTestRouter } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openaiServer } from './openai-server.js';

// Logprobs pass through for models whose provider declares them and are a 400 for the others.
function buildApp() {
  const { router } = createTestRouter({ probs: { reply: 'one two', logprobs: true }, plain: { reply: 'one two' } });
  const app = Fastify();
  void app.register(openaiServer, { router });
  return app;
}

const sse = (body: string) =>
  body
    .split('\n\n')
    .filter((block) => block.startsWith('data: {'))
    .map((block) => JSON.parse(block.slice(6)));

describe('logprobs on /v1/chat/completions', () => {
  it('returns each token with top_logprobs alternatives, streaming and not', async () => {
    const app = buildApp();
    const payload = { model: 'probs', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 2 };
    const whole = (await app.inject({ method: 'POST', url: '/v1/chat/completions', payload })).json();
    const content = whole.choices[0].logprobs.content;
    expect(content.map((entry: { token: string }) => entry.token).join('')).toBe(whole.choices[0].message.content);
    expect(content[0]).toEqual({
      token: 'one',
      logprob: -0.25,
      bytes: [...Buffer.from('one')],
      top_logprobs: [
        { token: 'one', logprob: -0.25, bytes: [...Buffer.from('one')] },
        { token: 'alt1', logprob: -0.5, bytes: [...Buffer.from('alt1')] },
      ],
    });
    const chunks = sse((await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...payload, stream: true } })).body);
    const streamed = chunks.filter((chunk) => chunk.choices[0]?.delta?.content);
    expect(streamed.length).toBeGreaterThan(0);
    for (const chunk of streamed) expect(chunk.choices[0].logprobs.content[0].top_logprobs).toHaveLength(2);
  });

  it('keeps logprobs null when not asked, and answers 400 for a model that cannot', async () => {
    const app = buildApp();
    const plain = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'probs', messages: [{ role: 'user', content: 'hi' }] } });
    expect(plain.json().choices[0].logprobs).toBeNull();
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'plain', messages: [{ role: 'user', content: 'hi' }], logprobs: true },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.param).toBe('logprobs');
  });
});

describe('logprobs on /v1/completions', () => {
  it('returns the legacy parallel arrays with text offsets', async () => {
    const app = buildApp();
    const response = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'probs', prompt: 'x', logprobs: 1 } });
    const { text, logprobs } = response.json().choices[0];
    expect(logprobs.tokens.join('')).toBe(text);
    expect(logprobs.token_logprobs.every((value: number) => value === -0.25)).toBe(true);
    expect(logprobs.top_logprobs[0]).toEqual({ [logprobs.tokens[0]]: -0.25 });
    expect(logprobs.text_offset[1]).toBe(logprobs.tokens[0].length);
    const refused = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'plain', prompt: 'x', logprobs: 0 } });
    expect(refused.statusCode).toBe(400);
  });
});
