import {
  errorCodes,
  isHeylookError,
  isProviderPlugin,
  supportedSpecificationVersions,
  type BaseProvider,
  type ProviderPlugin,
  type StreamPart,
} from '@heylook/core';
import { createTestModel } from '@heylook/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export interface ConformanceOptions {
  /** Shown in the test names. */
  name: string;
  plugin: ProviderPlugin<unknown>;
  /** The model's `config:` block, as in models.yaml. */
  config: Record<string, unknown>;
  /** Folder relative paths in `config` resolve against. */
  baseDir: string;
  /** A prompt the model answers with at least a few tokens. */
  prompt?: string;
  /**
   * The model's end-of-generation token id, if the test knows it: the logitBias check then also
   * checks that a bias on it applies (+100 ends the answer at once), as OpenAI and llama-server do.
   */
  endToken?: number;
}

type Finish = Extract<StreamPart, { type: 'finish' }>;

async function read(stream: AsyncIterable<StreamPart>, onPart?: (part: StreamPart, index: number) => void) {
  const parts: StreamPart[] = [];
  for await (const part of stream) {
    parts.push(part);
    onPart?.(part, parts.length);
  }
  return parts;
}

/** The stream contract: text deltas, then exactly one finish part, last, with sane usage. */
function expectWellFormed(parts: StreamPart[], maxTokens?: number): Finish {
  const finishes = parts.filter((part) => part.type === 'finish');
  expect(finishes, rule('one finish part', "end every stream with exactly one { type: 'finish', reason, usage } part, also after an abort")).toHaveLength(1);
  expect(parts.at(-1), rule('finish comes last', 'yield nothing after the finish part')).toBe(finishes[0]);
  const finish = finishes[0] as Finish;
  expect(['stop', 'length', 'tool-calls', 'cancelled', 'error'], rule('finish reason', 'use one of the FinishReason values of @heylook/core')).toContain(finish.reason);
  for (const value of [finish.usage.promptTokens, finish.usage.completionTokens]) {
    expect(Number.isInteger(value) && value >= 0, rule('usage', 'report promptTokens and completionTokens as whole numbers >= 0')).toBe(true);
  }
  if (maxTokens !== undefined) {
    expect(finish.usage.completionTokens, rule('maxTokens', "stop after request.maxTokens tokens, with finish reason 'length'")).toBeLessThanOrEqual(maxTokens);
  }
  for (const part of parts) {
    if (part.type === 'text-delta') {
      expect(typeof part.text === 'string' && part.text.length > 0, rule('text deltas', 'never yield an empty text-delta; skip it')).toBe(true);
    }
  }
  return finish;
}

/** The message a failed check shows: which rule of the v1 contract broke and how to fix it. */
function rule(name: string, fix: string): string {
  return `[heylook conformance: ${name}] ${fix}`;
}

const text = (parts: StreamPart[]) => parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');

/**
 * Registers vitest suites that check a provider keeps the v1 contract: plugin shape, load and
 * unload lifetimes, stream shape, limits, stop strings, cancellation, concurrency up to
 * `maxParallel`, and the optional capabilities it declares. Call it from a test file.
 */
export function runProviderConformance(options: ConformanceOptions): void {
  const { plugin, name } = options;
  const prompt = options.prompt ?? 'Once upon a time';
  const id = `conformance-${plugin.providerId}`;
  const create = (suffix = '') => createTestModel(plugin, options.config, { id: `${id}${suffix}`, baseDir: options.baseDir });
  let model: BaseProvider;

  describe(`provider conformance: ${name}`, () => {
    beforeAll(async () => {
      model = create();
      await model.load();
    }, 120_000);
    afterAll(async () => {
      await model.unload();
    });

    it('is a v1 plugin whose config schema accepts the config', () => {
      expect(isProviderPlugin(plugin), rule('plugin shape', "default-export { specificationVersion: 'v1', providerId, configSchema, create }")).toBe(true);
      expect(supportedSpecificationVersions, rule('specification version', "set specificationVersion: 'v1'")).toContain(plugin.specificationVersion);
      expect(plugin.providerId, rule('provider id', 'use lowercase letters, digits, _ and -, starting with a letter')).toMatch(/^[a-z][\w-]*$/);
      const parsed = plugin.configSchema.safeParse(options.config);
      expect(parsed.success, rule('config schema', `make configSchema accept the config you test with: ${parsed.error?.message ?? ''}`)).toBe(true);
    });

    it('declares its capabilities explicitly, and has the methods it declares', () => {
      const capabilities = model.capabilities;
      for (const key of ['chat', 'complete', 'embed', 'tokenize', 'tools', 'jsonSchema', 'vision'] as const) {
        expect(typeof capabilities[key], rule('capabilities', `declare capabilities.${key} as true or false`)).toBe('boolean');
      }
      expect(Number.isInteger(capabilities.maxParallel) && capabilities.maxParallel >= 1, rule('capabilities', 'declare maxParallel as an integer >= 1')).toBe(true);
      if (capabilities.complete) expect(typeof model.complete, rule('capabilities', 'implement complete() or declare complete: false')).toBe('function');
      if (capabilities.embed) expect(typeof model.embed, rule('capabilities', 'implement embed() or declare embed: false')).toBe('function');
      if (capabilities.tokenize) expect(typeof model.tokenize, rule('capabilities', 'implement tokenize() or declare tokenize: false')).toBe('function');
    });

    it('reports its readiness in the v1 shape when it has a check()', async () => {
      if (!plugin.check) return;
      const readiness = await plugin.check();
      const wellFormed = readiness.ready === true || (typeof readiness.problem === 'string' && typeof readiness.fix === 'string');
      expect(wellFormed, rule('check()', 'return { ready: true } or { ready: false, problem, fix }')).toBe(true);
      expect(readiness.ready, rule('check()', 'the model loaded, so check() must say ready')).toBe(true);
    });

    it('streams a chat answer: deltas, then one finish with usage; max tokens → length', async () => {
      const parts = await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 8, temperature: 0 }));
      const finish = expectWellFormed(parts, 8);
      expect(finish.usage.promptTokens, rule('usage', 'count the prompt tokens in usage.promptTokens')).toBeGreaterThan(0);
      expect(finish.usage.completionTokens, rule('usage', 'count generated tokens in usage.completionTokens')).toBeGreaterThan(0);
      expect(['stop', 'length'], rule('finish reason', "finish a plain answer with 'stop' or 'length'")).toContain(finish.reason);
      const limited = expectWellFormed(await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 2, temperature: 0 })), 2);
      if (limited.usage.completionTokens === 2) expect(limited.reason, rule('maxTokens', "finish with reason 'length' when maxTokens is reached")).toBe('length');
    });

    it('is deterministic when greedy', async () => {
      const request = { messages: [{ role: 'user' as const, content: prompt }], maxTokens: 12, temperature: 0 };
      expect(text(await read(model.chat(request))), rule('greedy', 'with temperature 0 always pick the most likely token (no randomness)')).toBe(
        text(await read(model.chat(request))),
      );
    });

    it('never emits a stop string', async () => {
      const full = text(await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 24, temperature: 0 })));
      const stop = full.trim().split(/\s+/)[2];
      expect(stop, rule('stop strings', 'pass a prompt option the model answers with at least three words')).toBeDefined();
      const parts = await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 24, temperature: 0, stop: [stop!] }));
      const stopFix = 'cut the output at request.stop strings, even split across tokens, and never emit them: use StopMatcher from @heylook/core';
      expect(text(parts), rule('stop strings', stopFix)).not.toContain(stop);
      expect(expectWellFormed(parts).reason, rule('stop strings', "finish with reason 'stop' when a stop string matched")).toBe('stop');
    });

    it('stops soon after its signal aborts, and answers the next request', async () => {
      const controller = new AbortController();
      const parts = await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 200, temperature: 0 }, { signal: controller.signal }), (part, index) => {
        if (part.type === 'text-delta' && index >= 2) controller.abort();
      }).catch((error: unknown) => {
        expect(isHeylookError(error) && error.code === errorCodes.aborted, rule('abort', "on abort, finish with reason 'cancelled' (or throw abortError(signal) from @heylook/core)")).toBe(true);
        return undefined;
      });
      if (parts) {
        const finish = expectWellFormed(parts);
        const abortFix = "check options.signal.aborted before each token and then yield { type: 'finish', reason: 'cancelled', usage }";
        expect(finish.reason, rule('abort', abortFix)).toBe('cancelled');
        expect(finish.usage.completionTokens, rule('abort', abortFix)).toBeLessThan(20);
      }
      expectWellFormed(await read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 4, temperature: 0 })), 4);
    });

    it('serves maxParallel requests at once', async () => {
      const count = Math.min(model.capabilities.maxParallel, 4);
      const results = await Promise.all(
        Array.from({ length: count }, () => read(model.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 6, temperature: 0 }))),
      );
      const texts = results.map((parts) => {
        expectWellFormed(parts, 6);
        return text(parts);
      });
      expect(new Set(texts).size, rule('concurrency', 'keep per-request state (position, stop matcher, cache) per request, not on the model')).toBe(1);
    });

    it('completes raw prompts when it says it can', async () => {
      if (!model.capabilities.complete) return;
      const finish = expectWellFormed(await read(model.complete!({ prompt, maxTokens: 6, temperature: 0 })), 6);
      expect(finish.usage.completionTokens, rule('complete', 'count generated tokens in usage.completionTokens')).toBeGreaterThan(0);
    });

    it('embeds into finite vectors of one size when it says it can', async () => {
      if (!model.capabilities.embed) return;
      const result = await model.embed!({ input: [prompt, `${prompt} again`] });
      const embedRule = rule('embed', 'return one finite, non-empty vector per input, all of one length, and usage.promptTokens > 0');
      expect(result.embeddings, embedRule).toHaveLength(2);
      expect(result.embeddings[0]!.length, embedRule).toBeGreaterThan(0);
      expect(result.embeddings[1], embedRule).toHaveLength(result.embeddings[0]!.length);
      expect(result.embeddings.flat().every(Number.isFinite), embedRule).toBe(true);
      expect(result.usage.promptTokens, embedRule).toBeGreaterThan(0);
    });

    it('counts tokens like it tokenizes when it says it can', async () => {
      if (!model.capabilities.tokenize) return;
      const tokens = await model.tokenize!(prompt);
      expect(tokens.length, rule('tokenize', 'return the token ids of the text')).toBeGreaterThan(0);
      if (model.countTokens) expect(await model.countTokens(prompt), rule('tokenize', 'countTokens(text) must equal tokenize(text).length')).toBe(tokens.length);
    });

    it('answers JSON of the schema when it declares jsonSchema', async () => {
      if (!model.capabilities.jsonSchema) return;
      const schema = { type: 'object', properties: { done: { type: 'boolean' }, count: { type: 'integer', minimum: 0, maximum: 99 } }, required: ['done', 'count'] };
      const parts = await read(model.chat({ messages: [{ role: 'user', content: prompt }], responseFormat: { type: 'json-schema', schema }, maxTokens: 128, temperature: 0 }));
      const finish = expectWellFormed(parts, 128);
      const jsonRule = rule('jsonSchema', 'constrain the output to the schema (a grammar or token mask), so an answer that finishes with stop parses and matches it');
      expect(finish.reason, jsonRule).toBe('stop');
      const value = JSON.parse(text(parts)) as { done?: unknown; count?: unknown };
      expect(typeof value.done === 'boolean' && Number.isInteger(value.count), jsonRule).toBe(true);
    });

    it('calls the tool tool_choice names when it declares tools', async () => {
      if (!model.capabilities.tools) return;
      const tool = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } }, required: ['zone'] } };
      const parts = await read(model.chat({ messages: [{ role: 'user', content: prompt }], tools: [tool], toolChoice: { name: 'get_time' }, maxTokens: 128, temperature: 0 }));
      const toolRule = rule('tools', "for a forced tool_choice, constrain the output to a call of that tool and yield a { type: 'tool-call' } part; finish with reason 'tool-calls'");
      expect(expectWellFormed(parts, 128).reason, toolRule).toBe('tool-calls');
      const calls = parts.filter((part) => part.type === 'tool-call');
      expect(calls.map((call) => call.name), toolRule).toEqual(['get_time']);
      expect(typeof (JSON.parse(calls[0]!.arguments) as { zone?: unknown }).zone, toolRule).toBe('string');
    });

    it('bans a token at -100, favours one at +100 and refuses a token it does not have, when it declares logitBias', async () => {
      if (!model.capabilities.logitBias || !model.capabilities.complete) return;
      const biasRule = rule('logitBias', "add logit_bias to the logits before sampling, ban a token at -100, and refuse an unknown token id with a coded invalid_request error (logitBiasEntries from @heylook/core)");
      const answer = async (logitBias?: Record<number, number>, temperature = 0) => {
        const finish = expectWellFormed(await read(model.complete!({ prompt, maxTokens: 12, temperature, seed: 5, ...(logitBias ? { logitBias } : {}) })), 12);
        expect(finish.context, rule('logitBias', 'return the context (prompt and answer token ids) of a raw completion')).toBeDefined();
        return finish.context!.slice(finish.usage.promptTokens);
      };
      const plain = await answer();
      const first = plain[0]!;
      expect(await answer({ [first]: -100 }), biasRule).not.toContain(first);
      expect(await answer({ [first]: -100 }, 1.5), biasRule).not.toContain(first);
      const favoured = plain.find((token) => token !== first) ?? first + 1;
      expect((await answer({ [favoured]: 100 }))[0], biasRule).toBe(favoured);
      if (options.endToken !== undefined) {
        const parts = await read(model.complete!({ prompt, maxTokens: 12, temperature: 0, logitBias: { [options.endToken]: 100 } }));
        const ended = expectWellFormed(parts, 12);
        const endRule = rule('logitBias', 'apply logit_bias to the end-of-generation token too: +100 on it ends the answer at once, with no text');
        expect({ reason: ended.reason, text: text(parts) }, endRule).toEqual({ reason: 'stop', text: '' });
      }
      let caught: unknown;
      try {
        await read(model.complete!({ prompt, maxTokens: 2, logitBias: { 100_000_000: 1 } }));
      } catch (error) {
        caught = error;
      }
      expect(isHeylookError(caught) && caught.code === errorCodes.invalidRequest, biasRule).toBe(true);
    });

    it('rejects what it cannot do with coded errors, not crashes', async () => {
      const attempts: (() => unknown)[] = [];
      if (!model.capabilities.vision) {
        attempts.push(() => model.chat({ messages: [{ role: 'user', content: [{ type: 'image', data: new Uint8Array([1, 2, 3]) }] }] }));
      }
      if (!model.capabilities.tools) {
        attempts.push(() => model.chat({ messages: [{ role: 'user', content: prompt }], tools: [{ name: 'f' }], toolChoice: 'required' }));
      }
      // A provider that can do everything has nothing to refuse; every other one is checked.
      expect(attempts.length > 0 || (model.capabilities.vision && model.capabilities.tools), rule('refusals', 'declare vision and tools truthfully')).toBe(true);
      for (const attempt of attempts) {
        let caught: unknown;
        try {
          await read(attempt() as AsyncIterable<StreamPart>);
        } catch (error) {
          caught = error;
        }
        expect(isHeylookError(caught), rule('refusals', 'call assertCanChat(this, request) from @heylook/core at the start of chat(): it throws the coded error')).toBe(true);
      }
    });

    it('unloads idempotently and refuses work afterwards with a coded error', async () => {
      const spare = create('-spare');
      await spare.load();
      await spare.unload();
      await spare.unload();
      let caught: unknown;
      try {
        await read(spare.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 2 }));
      } catch (error) {
        caught = error;
      }
      const unloadedFix = "after unload(), throw new HeylookError(errorCodes.closed, 'model is not loaded') from chat() instead of answering";
      expect(isHeylookError(caught), rule('unload', unloadedFix)).toBe(true);
    });
  });
}
