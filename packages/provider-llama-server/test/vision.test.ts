import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRouterWith, fixturesDir, testModelEntry } from '@heylook/core/testing';
import { ollamaServer } from '@heylook/server-ollama';
import { openaiServer } from '@heylook/server-openai';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { llamaServerProvider } from '../src/index.js';
import { noBinary, writeGguf } from './fixtures.js';

/** The tiny random-weight projector (scripts/make-tiny-mmproj.py). */
const makeMmproj = (): string | undefined =>
  writeGguf('the vision tests', fileURLToPath(new URL('../scripts/make-tiny-mmproj.py', import.meta.url)), [], 'tiny-mmproj.gguf');

/** A w x h 24-bit BMP (stb_image reads it) filled by `pixel`. */
function bmp(w: number, h: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const row = Math.ceil((w * 3) / 4) * 4;
  const file = Buffer.alloc(54 + row * h);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(w, 18);
  file.writeInt32LE(h, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(x, y);
      file.writeUInt8(b, 54 + y * row + x * 3);
      file.writeUInt8(g, 54 + y * row + x * 3 + 1);
      file.writeUInt8(r, 54 + y * row + x * 3 + 2);
    }
  }
  return file;
}

const mmproj = noBinary ? undefined : makeMmproj();

describe.skipIf(!mmproj)('vision: stories260K with a tiny random projector, through both servers', () => {
  const router = createRouterWith(llamaServerProvider, [testModelEntry('llama-server', { model_path: path.join(fixturesDir, 'stories260K.gguf'), mmproj_path: mmproj, n_ctx: 512, parallel: 1 }, { id: 'seeing' })]);
  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  void app.register(openaiServer, { router });
  void app.register(ollamaServer, { router });
  afterAll(async () => {
    await app.close();
    await router.close();
  });
  const red = bmp(28, 28, () => [255, 0, 0]).toString('base64');
  const stripes = bmp(28, 28, (x) => (x % 4 < 2 ? [0, 0, 0] : [255, 255, 255])).toString('base64');

  const openai = async (image: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'seeing',
        max_tokens: 24,
        temperature: 0,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Once upon a time' }, { type: 'image_url', image_url: { url: `data:image/bmp;base64,${image}` } }] }],
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().choices[0].message.content as string;
  };
  const ollama = async (image: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/chat',
      payload: { model: 'seeing', stream: false, options: { temperature: 0, num_predict: 24 }, messages: [{ role: 'user', content: 'Once upon a time', images: [image] }] },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().message.content as string;
  };

  it('declares vision and answers an image; another image changes the greedy answer (OpenAI)', async () => {
    const [a, again, b] = [await openai(red), await openai(red), await openai(stripes)];
    expect(a.length).toBeGreaterThan(0);
    expect(again).toBe(a);
    expect(b).not.toBe(a);
  }, 120_000);

  it('takes Ollama images the same way, and gives the same answer as the OpenAI route', async () => {
    expect(await ollama(red)).toBe(await openai(red));
    expect(await ollama(stripes)).not.toBe(await ollama(red));
  }, 120_000);
});
