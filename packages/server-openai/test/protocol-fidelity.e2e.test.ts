import type { ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import ggufProvider from '@heylook/provider-gguf';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiServer } from '../src/index.js';

/** Issue 11's protocol and structured-output cases, through real clients, on stories260K (served alone). */
let app: FastifyInstance;
let client: OpenAI;
let router: ModelRouter;
let base: string;

beforeAll(async () => {
  router = createRouterWith(ggufProvider, [testModelEntry('gguf', { model_path: 'stories260K.gguf', n_ctx: 512 }, { id: 'stories' })]);
  app = Fastify();
  await app.register(openaiServer, { router });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

const messages = [{ role: 'user' as const, content: 'Reply in JSON.' }];
const post = async (path: string, body: object) => {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
};

describe('structured output over HTTP', () => {
  it.each([
    ['an invalid schema', { type: 'nonsense' }, /not a valid JSON Schema/],
    ['a keyword the grammar cannot enforce', { type: 'object', properties: { n: { type: 'integer', minimum: 0 } } }, /#\/properties\/n\/minimum/],
  ])('answers 400 naming the problem for %s, and keeps serving', async (_name, schema, message) => {
    const { status, body } = await post('/v1/chat/completions', {
      model: 'stories',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'response_format', message: expect.stringMatching(message) });
    const next = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 3 });
    expect(next.choices[0]!.finish_reason).toBe('length');
  });

  it('returns only integers for an integer field, over seeds', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };
    for (let seed = 1; seed <= 8; seed++) {
      const response = await client.chat.completions.create({
        model: 'stories',
        messages,
        temperature: 1,
        seed,
        max_tokens: 60,
        response_format: { type: 'json_schema', json_schema: { name: 'n', schema } },
      });
      const choice = response.choices[0]!;
      expect(choice.finish_reason).toBe('stop');
      expect(choice.message.content).not.toMatch(/[eE.]/);
      expect(Number.isInteger(JSON.parse(choice.message.content!).n)).toBe(true);
    }
  });

  it('follows a GBNF grammar sent as llama-server does', async () => {
    const response = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 20, grammar: 'root ::= "yes" | "no"' } as never);
    expect((response as any).choices[0].message.content).toMatch(/^(yes|no)$/);
  });
});

describe('OpenAI protocol fidelity', () => {
  it('uses the only model when the request names none', async () => {
    const { status, body } = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
    expect(status).toBe(200);
    expect(body.model).toBe('stories');
  });

  it('answers n choices, different for a seeded sample', async () => {
    const response = await client.chat.completions.create({ model: 'stories', messages, n: 3, seed: 4, temperature: 1, max_tokens: 20 });
    expect(response.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(new Set(response.choices.map((choice) => choice.message.content)).size).toBeGreaterThan(1);
    expect(response.usage!.completion_tokens).toBe(60);
  });

  it('streams n choices, each opening with a role-only chunk', async () => {
    const stream = await client.chat.completions.create({ model: 'stories', messages, n: 2, temperature: 0, max_tokens: 8, stream: true });
    const texts = ['', ''];
    const first: unknown[] = [undefined, undefined];
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      first[choice.index] ??= choice.delta;
      texts[choice.index] += choice.delta.content ?? '';
    }
    expect(first).toEqual([{ role: 'assistant', content: '' }, { role: 'assistant', content: '' }]);
    expect(texts[0]).toBe(texts[1]);
    expect(texts[0]!.length).toBeGreaterThan(0);
  });

  it('applies logit_bias: a banned first token is never chosen', async () => {
    const plain = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 1, temperature: 0 });
    // The generated token has no leading space: tokenize it after a letter, where SentencePiece adds none.
    const banned = ((await post('/tokenize', { content: `a${plain.choices[0]!.text}` })).body.tokens as number[]).at(-1);
    const biased = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 1, temperature: 0, logit_bias: { [banned!]: -100 } });
    expect(biased.choices[0]!.text).not.toBe(plain.choices[0]!.text);
  });
});

describe("llama-server's /tokenize and /detokenize at the root", () => {
  it('round-trips text, with BOS and pieces on request', async () => {
    const { body } = await post('/tokenize', { content: 'Once upon a time' });
    expect(body.tokens).toEqual([403, 407, 261, 378]);
    expect((await post('/tokenize', { content: 'Once upon a time', add_special: true })).body.tokens).toEqual([1, 403, 407, 261, 378]);
    expect((await post('/tokenize', { content: '<s>', parse_special: true })).body.tokens).toEqual([1]);
    const pieces = (await post('/tokenize', { content: 'Once upon', with_pieces: true })).body.tokens;
    expect(pieces).toEqual([
      { id: 403, piece: expect.stringContaining('Once') },
      { id: 407, piece: expect.stringContaining('upon') },
    ]);
    expect((await post('/detokenize', { tokens: body.tokens })).body.content).toMatch(/^ ?Once upon a time$/);
  });

  it('answers 400 for a token id outside the vocabulary and keeps serving', async () => {
    const { status, body } = await post('/detokenize', { tokens: [5, 100000] });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ param: 'tokens', message: expect.stringContaining('100000') });
    expect((await post('/detokenize', { tokens: [403] })).status).toBe(200);
  });
});
