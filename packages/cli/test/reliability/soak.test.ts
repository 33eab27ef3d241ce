import type { ModelRouter } from '@heylook/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealApp, storiesModels } from './real-app.js';

const clients = 64;
const requestsPerClient = 5;
/** The soak stops starting requests after this, so it stays bounded on a slow CI machine. */
const budgetMs = 40_000;
const maxQueue = 24;
const maxQueuePerModel = 12;
const parallel = 4;

let app: FastifyInstance;
let router: ModelRouter;
let address: string;

beforeAll(async () => {
  ({ app, router } = await createRealApp({
    models: storiesModels(['stories', 'tales'], { parallel }),
    router: { maxLoadedModels: 1, maxQueue, maxQueuePerModel },
  }));
  address = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await app.close();
  await router.close();
});

type Kind = 'openai-chat' | 'openai-chat-stream' | 'openai-completion' | 'ollama-chat' | 'ollama-chat-stream' | 'ollama-generate';
const kinds: Kind[] = ['openai-chat', 'openai-chat-stream', 'openai-completion', 'ollama-chat', 'ollama-chat-stream', 'ollama-generate'];
const tokens = 16;
/**
 * How much of its solo answer an answer under load must start with: enough to tell it from
 * every other prompt's solo answer. llama.cpp is not batch-invariant (a sequence decoded next
 * to others can round differently from one decoded alone), and where the tiny model's top two
 * tokens are close a greedy answer may part ways after a few tokens; up to this point it must
 * not, or an answer was cut, garbled or mixed up with another request's.
 */
function stablePrefixLength(answer: string, others: string[]): number {
  const common = (a: string, b: string) => {
    let length = 0;
    while (length < a.length && a[length] === b[length]) length++;
    return length;
  };
  return Math.min(answer.length, 1 + Math.max(...others.map((other) => common(answer, other))));
}

/** A different prompt per kind, so an answer that got mixed up with another request's shows. */
const prompts: Record<Kind, string> = {
  'openai-chat': 'Once upon a time',
  'openai-chat-stream': 'Lily and Ben went to the park',
  'openai-completion': 'The cat sat on the',
  'ollama-chat': 'Tom had a big red ball',
  'ollama-chat-stream': 'One day, a little dog',
  'ollama-generate': 'The sun was hot and',
};

function requestFor(kind: Kind, model: string): { url: string; body: unknown } {
  const prompt = prompts[kind];
  const messages = [{ role: 'user', content: prompt }];
  switch (kind) {
    case 'openai-chat':
      return { url: '/v1/chat/completions', body: { model, messages, max_tokens: tokens, temperature: 0 } };
    case 'openai-chat-stream':
      return { url: '/v1/chat/completions', body: { model, messages, max_tokens: tokens, temperature: 0, stream: true } };
    case 'openai-completion':
      return { url: '/v1/completions', body: { model, prompt, max_tokens: tokens, temperature: 0 } };
    case 'ollama-chat':
      return { url: '/api/chat', body: { model, messages, stream: false, options: { num_predict: tokens, temperature: 0 } } };
    case 'ollama-chat-stream':
      return { url: '/api/chat', body: { model, messages, options: { num_predict: tokens, temperature: 0 } } };
    case 'ollama-generate':
      return { url: '/api/generate', body: { model, prompt, raw: true, stream: false, options: { num_predict: tokens, temperature: 0 } } };
  }
}

interface Outcome {
  status: number;
  text?: string;
  /** The queue-full code/message and Retry-After, when refused. */
  refused?: { retryAfter: string | null; body: string };
}

/** Sends one request and reads the answer text out of whichever shape it comes in. */
async function send(kind: Kind, model: string): Promise<Outcome> {
  const { url, body } = requestFor(kind, model);
  const response = await fetch(`${address}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const raw = await response.text();
  if (response.status !== 200) return { status: response.status, refused: { retryAfter: response.headers.get('retry-after'), body: raw } };
  switch (kind) {
    case 'openai-chat':
      return { status: 200, text: JSON.parse(raw).choices[0].message.content };
    case 'openai-completion':
      return { status: 200, text: JSON.parse(raw).choices[0].text };
    case 'openai-chat-stream': {
      const events = raw.split('\n\n').filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]');
      const chunks = events.map((block) => JSON.parse(block.slice(6)));
      if (chunks.some((chunk) => chunk.error)) throw new Error(`stream failed: ${raw}`);
      return { status: 200, text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('') };
    }
    case 'ollama-chat':
      return { status: 200, text: JSON.parse(raw).message.content };
    case 'ollama-chat-stream': {
      const lines = raw.trim().split('\n').map((line) => JSON.parse(line));
      if (lines.some((line) => line.error)) throw new Error(`stream failed: ${raw}`);
      return { status: 200, text: lines.map((line) => line.message?.content ?? '').join('') };
    }
    case 'ollama-generate':
      return { status: 200, text: JSON.parse(raw).response };
  }
}

describe('soak', () => {
  it(`${clients} concurrent clients over both APIs and two models with max_loaded_models 1`, async () => {
    // Solo answers first: greedy decoding must give the same text under load.
    const solo = new Map<string, string>();
    for (const model of ['stories', 'tales']) {
      for (const kind of kinds) {
        const outcome = await send(kind, model);
        expect(outcome.status).toBe(200);
        solo.set(`${kind}/${model}`, outcome.text!);
      }
    }
    const stable = new Map<string, string>();
    for (const model of ['stories', 'tales']) {
      for (const kind of kinds) {
        const answer = solo.get(`${kind}/${model}`)!;
        const others = kinds.filter((other) => other !== kind).map((other) => solo.get(`${other}/${model}`)!);
        stable.set(`${kind}/${model}`, answer.slice(0, stablePrefixLength(answer, others)));
      }
    }
    // Every prompt's answer is told apart from the others within its first few characters.
    expect(new Set(stable.values()).size).toBe(kinds.length);
    const rssBefore = process.memoryUsage().rss;

    let maxDepth = 0;
    let maxActive = 0;
    const watch = () => {
      maxDepth = Math.max(maxDepth, router.queueDepth);
      for (const model of router.list()) maxActive = Math.max(maxActive, model.activeRequests);
    };
    router.on('queue-change', watch);
    const sampler = setInterval(watch, 5);

    const started = performance.now();
    const statuses = new Map<number, number>();
    const mismatches: string[] = [];
    const refusals: NonNullable<Outcome['refused']>[] = [];
    let served = 0;
    let divergedLate = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let round = 0; round < requestsPerClient && performance.now() - started < budgetMs; ) {
          const kind = kinds[(client + round) % kinds.length]!;
          // Clients switch models between rounds, so the router swaps the single slot back and forth.
          const model = (client + round) % 2 === 0 ? 'stories' : 'tales';
          const outcome = await send(kind, model);
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          if (outcome.status === 200) {
            served++;
            const expected = solo.get(`${kind}/${model}`)!;
            if (!outcome.text!.startsWith(stable.get(`${kind}/${model}`)!)) mismatches.push(`${kind}/${model}: ${JSON.stringify(outcome.text)} ≠ ${JSON.stringify(expected)}`);
            if (outcome.text !== expected) divergedLate++;
            round++;
          } else if (outcome.refused) {
            // As a well-behaved client does: wait as told, then try the same request again.
            refusals.push(outcome.refused);
            await new Promise((resolve) => setTimeout(resolve, Number(outcome.refused!.retryAfter ?? 1) * 1000));
          } else {
            round++;
          }
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    clearInterval(sampler);
    router.off('queue-change', watch);
    const rssAfter = process.memoryUsage().rss;
    await router.unload('stories');
    await router.unload('tales');
    const rssUnloaded = process.memoryUsage().rss;
    const unloads = Number(/heylook_model_unloads_total\{model="stories",provider="gguf",reason="evicted"\} (\d+)/.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);
    console.log(
      `soak: ${served} served (${divergedLate} part from their solo answer after its stable prefix) in ${Math.round(elapsedMs)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `max queue depth ${maxDepth}/${maxQueue}, max requests on one model ${maxActive}/${parallel + maxQueuePerModel}, ` +
        `evictions of stories ${unloads}, RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB, ${(rssUnloaded / 2 ** 20).toFixed(0)} MiB with both models unloaded`,
    );

    // Every greedy answer keeps its solo answer's stable prefix: none was handed another
    // request's tokens (provider-gguf's batching strategy keeps prompts out of shared batches).
    expect(mismatches, `answers that lost their solo prefix:\n${mismatches.join('\n')}`).toEqual([]);
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
    // Refusals are backpressure only: queue full with Retry-After (429 OpenAI, 503 Ollama), never another failure.
    for (const refusal of refusals) {
      expect(refusal.retryAfter).toBe('1');
      expect(refusal.body).toMatch(/queue_full|Too many requests are waiting|requests in progress or waiting/);
    }
    expect(maxDepth).toBeLessThanOrEqual(maxQueue);
    expect(maxActive).toBeLessThanOrEqual(parallel + maxQueuePerModel);
    expect(served).toBeGreaterThan(clients);
    expect(unloads).toBeGreaterThan(0);
    // Memory settles: swapping two small models hundreds of times must not leak their contexts
    // (each load of stories260K at n_ctx 256 x 4 sequences costs several MiB).
    expect(rssAfter - rssBefore).toBeLessThan(200 * 2 ** 20);
    expect(rssUnloaded - rssBefore).toBeLessThan(200 * 2 ** 20);
    // Still serving, nothing left holding a model.
    expect((await send('openai-chat', 'stories')).status).toBe(200);
    expect(router.list().every((model) => model.activeRequests === 0)).toBe(true);
  }, 120_000);
});
