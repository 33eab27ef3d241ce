import path from 'node:path';
import { fixturesDir } from '@heylook/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/create-app.js';

const app = await createApp(path.join(fixturesDir, 'stories260K.gguf'));
afterAll(() => app.close());

describe('the custom app', () => {
  it('answers on the OpenAI API with the model it composed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: { model: 'stories', prompt: 'Once upon a time', max_tokens: 12, temperature: 0 },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.choices[0].text.length).toBeGreaterThan(10);
    expect(body.usage.completion_tokens).toBe(12);
  });

  it('answers on the Ollama API and lists the model', async () => {
    const tags = await app.inject({ method: 'GET', url: '/api/tags' });
    expect(tags.json().models.map((model: { name: string }) => model.name)).toEqual(['stories:latest']);
    const response = await app.inject({
      method: 'POST',
      url: '/api/generate',
      payload: { model: 'stories', prompt: 'Once upon a time', raw: true, stream: false, options: { num_predict: 8, temperature: 0 } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().eval_count).toBe(8);
  });
});
