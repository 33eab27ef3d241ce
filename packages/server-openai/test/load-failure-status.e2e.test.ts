import { errorCodes } from '@heylook/core';
import { createTestRouter } from '@heylook/core/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiServer } from '../src/index.js';

// The official client, with its default retry policy, against a real port: a permanent load
// failure must reach the server once, a transient one is retried.
let app: FastifyInstance;
let address: string;
const requests = new Map<string, number>();
const { router } = createTestRouter(
  {
    unsupported: { fail_loads: -1, fail_code: errorCodes.unsupportedModel },
    missing: { fail_loads: -1, fail_code: errorCodes.modelFileNotFound },
    flaky: { fail_loads: -1, fail_code: errorCodes.loadFailed },
  },
  { maxLoadedModels: 3 },
);

beforeAll(async () => {
  app = Fastify();
  app.addHook('onRequest', async (request) => {
    const model = (request.headers['x-test-model'] as string | undefined) ?? '';
    requests.set(model, (requests.get(model) ?? 0) + 1);
  });
  await app.register(openaiServer, { router });
  address = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
  await router.close();
});

async function attempt(model: string, maxRetries: number): Promise<{ error: unknown; requests: number }> {
  const client = new OpenAI({ baseURL: `${address}/v1`, apiKey: 'unused', maxRetries, defaultHeaders: { 'x-test-model': model } });
  requests.set(model, 0);
  const error = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return { error, requests: requests.get(model)! };
}

describe('permanent load failures through the openai client', () => {
  it('an unsupported architecture is 422 model_not_supported, sent once despite maxRetries 2', async () => {
    const { error, requests: count } = await attempt('unsupported', 2);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(error).toMatchObject({ status: 422, code: 'model_not_supported', type: 'invalid_request_error' });
    expect(count).toBe(1);
  });

  it('a missing model file is 422 model_load_failed, sent once', async () => {
    const { error, requests: count } = await attempt('missing', 2);
    expect(error).toMatchObject({ status: 422, code: 'model_load_failed' });
    expect(count).toBe(1);
  });

  it('a transient load failure stays 503 and the client retries it (the count above can fail)', async () => {
    const { error, requests: count } = await attempt('flaky', 1);
    expect(error).toMatchObject({ status: 503, code: 'model_load_failed' });
    expect(count).toBe(2);
  }, 20_000);
});
