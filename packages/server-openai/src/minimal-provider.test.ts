import { ModelRouter, ProviderRegistry } from '@heylook/core';
import { createMinimalProviderPlugin, testModelEntry } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openaiServer } from './openai-server.js';

// A provider with only load/chat/unload: no describe(), info(), estimateMemory() or check().
function buildApp() {
  const registry = new ProviderRegistry();
  registry.register(createMinimalProviderPlugin());
  const router = new ModelRouter({ registry, models: [testModelEntry('minimal', { reply: 'hi there' }, { id: 'bare', baseDir: process.cwd() })] });
  const app = Fastify();
  void app.register(openaiServer, { router });
  return { app, router };
}

describe('a provider that implements only load, chat and unload', () => {
  it('is listed by /v1/models and answers a chat completion', async () => {
    const { app, router } = buildApp();
    const models = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(models.statusCode).toBe(200);
    expect(models.json().data.map((model: { id: string }) => model.id)).toEqual(['bare']);
    expect((await app.inject({ method: 'GET', url: '/v1/models/bare' })).statusCode).toBe(200);

    const chat = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'bare', messages: [{ role: 'user', content: 'hello' }] } });
    expect(chat.statusCode).toBe(200);
    expect(chat.json().choices[0].message.content).toBe('hi there');
    await router.close();
  });
});
