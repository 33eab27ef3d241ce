import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectStream, type ChatRequest, type ModelRouter } from '@heylook/core';
import { createRouterWith, testModelEntry } from '@heylook/core/testing';
import { anthropicServer } from '@heylook/server-anthropic';
import ollamaServer from '@heylook/server-ollama';
import openaiServer from '@heylook/server-openai';
import Fastify, { type FastifyInstance } from 'fastify';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlxProvider, type MlxModel } from '../src/index.js';
// @ts-expect-error: a plain .mjs script shared with bench/, without type declarations
import { makeRandomVlm } from '../../../bench/make-random-vlm.mjs';

// Images end to end: the official OpenAI and Ollama clients (and the Anthropic API) send a picture to tiny random-weight
// LLaVA and Gemma 3 models behind `heylook`'s servers; the answers are the provider's own for the
// same request, and a repeated picture is served from the cache.

const families = ['llava', 'gemma3'] as const;
let app: FastifyInstance;
let router: ModelRouter;
let openai: OpenAI;
let ollama: Ollama;

async function png(seed: number, width = 71, height = 53): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let index = 0; index < pixels.length; index++) pixels[index] = (index * seed * 7 + ((index * 13) % 251)) % 256;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

let red: Buffer;
let blue: Buffer;

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'heylook-vision-servers-'));
  const entries = [];
  for (const family of families) {
    const dir = path.join(root, family);
    await makeRandomVlm(dir, family);
    entries.push(testModelEntry('mlx', { model_path: dir, temperature: 0, stop_on_bos: false, parallel: 2 }, { id: family, baseDir: dir }));
    entries.push(testModelEntry('mlx', { model_path: dir, temperature: 0, stop_on_bos: false, max_image_pixels: 1000 }, { id: `${family}-small-images`, baseDir: dir }));
  }
  router = createRouterWith(mlxProvider, entries);
  app = Fastify();
  await app.register(openaiServer, { router });
  await app.register(ollamaServer, { router });
  await app.register(anthropicServer, { router });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });
  ollama = new Ollama({ host: `http://127.0.0.1:${port}` });
  red = await png(1);
  blue = await png(2);
}, 240_000);

afterAll(async () => {
  await app?.close();
  await router?.close();
});

const dataUrl = (image: Buffer) => `data:image/png;base64,${image.toString('base64')}`;

describe.each(families)('%s: images through the servers', (family) => {
  it('the OpenAI client gets the answer the provider gives for the same picture, and the picture is reused from the cache', async () => {
    const question = (image: Buffer) =>
      openai.chat.completions.create({
        model: family,
        max_tokens: 12,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in the picture?' }, { type: 'image_url', image_url: { url: dataUrl(image) } }] }],
      });
    const first = await question(red);
    const lease = await router.acquire(family);
    const model = lease.provider as MlxModel;
    const request: ChatRequest = {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in the picture?' }, { type: 'image', data: new Uint8Array(red) }] }],
      maxTokens: 12,
    };
    const direct = await collectStream(model.chat(request));
    lease.release();
    expect(first.choices[0]!.message.content).toBe(direct.text);
    expect(model.capabilities.vision).toBe(true);
    expect(first.usage!.prompt_tokens).toBe(direct.usage.promptTokens);

    const again = await question(red);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(again.usage!.prompt_tokens_details?.cached_tokens).toBe(first.usage!.prompt_tokens - 1);

    // Another picture in the same place: the cache stops before it.
    const other = await question(blue);
    expect(other.usage!.prompt_tokens_details!.cached_tokens!).toBeLessThan(first.usage!.prompt_tokens - 1);
  }, 120_000);

  it('the Ollama client sends base64 images and /api/show lists vision', async () => {
    const answer = await ollama.chat({
      model: family,
      messages: [{ role: 'user', content: 'What is in the picture?', images: [red.toString('base64')] }],
      options: { num_predict: 12, temperature: 0 },
    });
    const fromOpenAI = await openai.chat.completions.create({
      model: family,
      max_tokens: 12,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in the picture?' }, { type: 'image_url', image_url: { url: dataUrl(red) } }] }],
    });
    expect(answer.message.content).toBe(fromOpenAI.choices[0]!.message.content);
    expect((await ollama.show({ model: family })).capabilities).toContain('vision');
  }, 120_000);

  it('an Anthropic image block gets the same answer', async () => {
    const question = [{ type: 'text', text: 'What is in the picture?' }];
    const response = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: {
        model: family,
        max_tokens: 12,
        temperature: 0,
        messages: [{ role: 'user', content: [...question, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: red.toString('base64') } }] }],
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    const fromOpenAI = await openai.chat.completions.create({
      model: family,
      max_tokens: 12,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in the picture?' }, { type: 'image_url', image_url: { url: dataUrl(red) } }] }],
    });
    expect((response.json() as { content: { text: string }[] }).content[0]!.text).toBe(fromOpenAI.choices[0]!.message.content);
    // count_tokens counts the image's rows as the answer's usage does.
    const counted = await app.inject({
      method: 'POST',
      url: '/v1/messages/count_tokens',
      payload: { model: family, messages: [{ role: 'user', content: [...question, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: red.toString('base64') } }] }] },
    });
    const { usage } = response.json() as { usage: { input_tokens: number; cache_read_input_tokens?: number } };
    expect((counted.json() as { input_tokens: number }).input_tokens).toBe(usage.input_tokens + (usage.cache_read_input_tokens ?? 0));
  }, 120_000);

  it('decodes an image request in the same batches as a text request', async () => {
    const lease = await router.acquire(family);
    const model = lease.provider as MlxModel;
    try {
      const before = model.decodeStats();
      const [withImage, textOnly] = await Promise.all([
        collectStream(model.chat({ messages: [{ role: 'user', content: [{ type: 'image', data: new Uint8Array(blue) }, { type: 'text', text: 'Tell me.' }] }], maxTokens: 24 })),
        collectStream(model.chat({ messages: [{ role: 'user', content: 'Tell me a story.' }], maxTokens: 24 })),
      ]);
      expect([withImage.finishReason, textOnly.finishReason]).toEqual(['length', 'length']);
      const after = model.decodeStats();
      // 46 decode steps in all; batched together they take about half as many forward passes.
      expect(after.rows - before.rows).toBe(46);
      expect(after.batches - before.batches).toBeLessThan(36);
    } finally {
      lease.release();
    }
  }, 120_000);

  it('takes two pictures in one message, text alone, and refuses an image over the limit with a 413', async () => {
    const two = await openai.chat.completions.create({
      model: family,
      max_tokens: 4,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(red) } }, { type: 'text', text: 'and' }, { type: 'image_url', image_url: { url: dataUrl(blue) } }] }],
    });
    const one = await openai.chat.completions.create({
      model: family,
      max_tokens: 4,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(red) } }, { type: 'text', text: 'and' }] }],
    });
    expect(two.usage!.prompt_tokens).toBeGreaterThan(one.usage!.prompt_tokens);
    const text = await openai.chat.completions.create({ model: family, max_tokens: 4, messages: [{ role: 'user', content: 'Hello' }] });
    expect(text.choices[0]!.finish_reason).toBe('length');
    await expect(
      openai.chat.completions.create({
        model: `${family}-small-images`,
        max_tokens: 4,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(red) } }] }],
      }),
    ).rejects.toMatchObject({ status: 413 });
  }, 120_000);
});
