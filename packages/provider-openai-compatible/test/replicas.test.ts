import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeRequests, postJson, postSse, startFront, startUpstream, waitFor, type Front, type Upstream } from './helpers.js';

// Two upstream heylook processes serving the same model, fronted as replicas of one model.
const upstreams: Upstream[] = [];
let front: Front;

beforeAll(async () => {
  upstreams.push(...(await Promise.all([startUpstream(), startUpstream()])));
  const base_urls = upstreams.map((upstream) => upstream.url);
  // Periodic checks are rare here, so a dead replica must be noticed by the requests themselves.
  const common = { base_urls, health_interval: 30, max_backoff: 1 };
  front = await startFront({
    remote: { ...common, model: 'stories', max_parallel: 2 },
    // One request per replica: two long requests land on both replicas, one each.
    'remote-endless': { ...common, model: 'endless', max_parallel: 1 },
    'remote-sticky': { ...common, model: 'stories', sticky_prefix: true },
  });
});
afterAll(async () => {
  await front?.close();
  await Promise.all(upstreams.map((upstream) => upstream.kill()));
});

/** A streaming request to keep running; resolves `started` at its first chunk. */
function longStream(model: string) {
  const controller = new AbortController();
  let resolveStarted!: () => void;
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));
  const done = (async () => {
    const response = await fetch(`${front.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'Once upon a time', max_tokens: 100_000, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    let text = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes('"text":"')) resolveStarted();
      }
    } catch {
      // Aborted by the test.
    }
    return text;
  })();
  return { started, done, abort: () => controller.abort() };
}

const ask = (index: number) =>
  index % 3 === 0
    ? postSse(`${front.url}/v1/completions`, { model: 'remote', prompt: 'Once upon a time', max_tokens: 12, temperature: 0 }).then(({ status, events }) => ({
        status,
        ok: events.at(-1) === '[DONE]' && !events.some((event) => event !== '[DONE]' && 'error' in event),
      }))
    : postJson(`${front.url}/v1/chat/completions`, { model: 'remote', messages: [{ role: 'user', content: `Story ${index}` }], max_tokens: 12, temperature: 0 }).then(
        ({ status, body }) => ({ status, ok: typeof body.choices?.[0]?.message?.content === 'string' && body.usage.completion_tokens > 0 }),
      );

const loaded = async (upstream: Upstream, model: string) => {
  const health = (await (await fetch(`${upstream.url}/health`)).json()) as { models: { id: string }[] };
  return health.models.some((entry) => entry.id === model);
};

describe('two upstream replicas', () => {
  it('spreads concurrent requests over both', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => ask(index + 1)));
    expect(results.every((result) => result.status === 200 && result.ok)).toBe(true);
    expect(await loaded(upstreams[0]!, 'stories')).toBe(true);
    expect(await loaded(upstreams[1]!, 'stories')).toBe(true);
    expect((await front.model('remote')).replicas.every((replica) => replica.served > 0)).toBe(true);
  });

  it('keeps each conversation on one replica with sticky_prefix', async () => {
    const turn = (conversation: number, turns: number) => ({
      model: 'remote-sticky',
      // Each turn repeats the conversation so far, as chat clients send it.
      messages: [
        { role: 'system', content: `You tell story number ${conversation}.` },
        { role: 'user', content: 'Tell me a story.' },
        ...Array.from({ length: turns }, (_, index) => [
          { role: 'assistant', content: `Part ${index + 1} of the story.` },
          { role: 'user', content: 'Go on.' },
        ]).flat(),
      ],
      max_tokens: 4,
      temperature: 0,
    });
    const model = await front.model('remote-sticky');
    const servedBy = async (conversation: number) => {
      const before = model.replicas.map((replica) => replica.served);
      for (let turns = 0; turns < 4; turns++) expect((await postJson(`${front.url}/v1/chat/completions`, turn(conversation, turns))).status).toBe(200);
      return model.replicas.map((replica, index) => replica.served - before[index]!);
    };
    for (const conversation of [1, 2, 3, 4]) expect((await servedBy(conversation)).sort()).toEqual([0, 4]);
  });

  it('keeps answering when one is killed mid-run: no error for requests not yet streaming; it rejoins when restarted', async () => {
    const [dying, surviving] = upstreams as [Upstream, Upstream];
    const long = [longStream('remote-endless'), longStream('remote-endless')];
    await Promise.all(long.map((stream) => stream.started));
    expect(await activeRequests(dying, 'endless')).toBe(1);
    expect(await activeRequests(surviving, 'endless')).toBe(1);

    await dying.kill();
    const results = await Promise.all(Array.from({ length: 12 }, (_, index) => ask(index)));
    expect(results.filter((result) => result.status !== 200 || !result.ok)).toEqual([]);
    const remote = await front.model('remote');
    expect(remote.replicas[0]!.healthy).toBe(false);
    expect(remote.replicas[0]!.problem).toMatch(/unreachable|closed/);

    // The stream that was running on the killed replica ends with an error event; the other goes on.
    const ended = await Promise.race([long[0]!.done.then(() => 0), long[1]!.done.then(() => 1)]);
    expect(await long[ended]!.done).toContain('"error"');
    long[1 - ended]!.abort();
    await waitFor(async () => (await activeRequests(surviving, 'endless')) === 0, 'the surviving upstream to drop the aborted stream');

    const restarted = await startUpstream(dying.port);
    upstreams[0] = restarted;
    await waitFor(() => remote.replicas[0]!.healthy, 'the restarted replica to be checked back in');
    expect(await loaded(restarted, 'stories')).toBe(false);
    const again = await Promise.all(Array.from({ length: 8 }, (_, index) => ask(index + 1)));
    expect(again.every((result) => result.status === 200 && result.ok)).toBe(true);
    expect(await loaded(restarted, 'stories')).toBe(true);
  });

  it('answers 503 with Retry-After, naming the upstreams, when none is up', async () => {
    await Promise.all(upstreams.map((upstream) => upstream.kill()));
    const response = await postJson(`${front.url}/v1/chat/completions`, { model: 'remote', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    for (const upstream of upstreams) expect(response.body.error.message).toContain(upstream.url);
    const ollama = await postJson(`${front.url}/api/chat`, { model: 'remote', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(ollama.status).toBe(503);
  });
});
