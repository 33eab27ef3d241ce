import { ModelRouter, ProviderRegistry } from '@heylook/core';
import { createMinimalProviderPlugin, testModelEntry } from '@heylook/core/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ollamaServer } from './ollama-server.js';

// A provider with only load/chat/unload: no describe(), info(), estimateMemory() or check().
function buildApp() {
  const registry = new ProviderRegistry();
  registry.register(createMinimalProviderPlugin());
  const router = new ModelRouter({ registry, models: [testModelEntry('minimal', { reply: 'hi there' }, { id: 'bare', baseDir: process.cwd() })] });
  const app = Fastify();
  void app.register(ollamaServer, { router });
  return { app, router };
}

describe('a provider that implements only load, chat and unload', () => {
  it('is listed by /api/tags, shown by /api/show and, once loaded, by /api/ps', async () => {
    const { app, router } = buildApp();
    const tags = await app.inject({ method: 'GET', url: '/api/tags' });
    expect(tags.statusCode).toBe(200);
    const [model] = tags.json().models;
    expect(model).toMatchObject({ name: 'bare:latest', size: 0 });
    expect(model.digest).toMatch(/^[0-9a-f]{64}$/);

    const show = await app.inject({ method: 'POST', url: '/api/show', payload: { model: 'bare' } });
    expect(show.statusCode).toBe(200);
    expect(show.json().capabilities).toContain('completion');

    const chat = await app.inject({ method: 'POST', url: '/api/chat', payload: { model: 'bare', messages: [{ role: 'user', content: 'hello' }], stream: false } });
    expect(chat.statusCode).toBe(200);
    expect(chat.json().message.content).toBe('hi there');

    const ps = await app.inject({ method: 'GET', url: '/api/ps' });
    expect(ps.statusCode).toBe(200);
    expect(ps.json().models).toEqual([expect.objectContaining({ name: 'bare:latest', digest: model.digest, context_length: 0 })]);
    await router.close();
  });
});
