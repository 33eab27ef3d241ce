import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, createStories } from './fixtures.js';

/**
 * The promise of structured output: whatever the sampler picks, an answer that ends with
 * `stop` parses and validates against the schema (checked by ajv, not by us). stories260K
 * is not a JSON model, so under a grammar it writes noise shaped like JSON: the best test
 * of the grammar. Each schema runs over many seeds at temperature > 0.
 */
const seeds = Number(process.env.HEYLOOK_STRUCTURED_SEEDS ?? 12);
const model = createStories();
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);

beforeAll(async () => {
  await model.load();
}, 60_000);
const tally: Record<string, string> = {};
afterAll(async () => {
  await model.unload();
  console.log('answers that ended with stop (all validated):', tally);
});

const short = { type: 'string', maxLength: 12 } as const;

/** One schema per keyword we accept (plus combinations clients send). */
const schemas: Record<string, Record<string, unknown>> = {
  'type integer': { type: 'object', properties: { n: { type: 'integer' }, m: { type: 'integer' } }, required: ['n', 'm'] },
  'type number': { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } } },
  'type boolean and null': { type: 'array', prefixItems: [{ type: 'boolean' }, { type: 'null' }], items: false },
  'integer ranges': {
    type: 'object',
    properties: { age: { type: 'integer', minimum: 0, maximum: 120 }, even: { type: 'integer', exclusiveMinimum: -10, maximum: 10, multipleOf: 2 } },
  },
  'type list': { type: 'object', properties: { v: { type: ['integer', 'null'] }, s: { type: ['string', 'boolean'], maxLength: 5 } } },
  'minLength and maxLength': { type: 'object', properties: { s: { type: 'string', minLength: 2, maxLength: 6 } } },
  'format date-time': { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } },
  'format date': { type: 'object', properties: { on: { type: 'string', format: 'date' } } },
  'format time': { type: 'object', properties: { at: { type: 'string', format: 'time' } } },
  enum: { type: 'object', properties: { color: { enum: ['red', 'green', 3, null] } } },
  'const with type': { type: 'object', properties: { kind: { const: 'story', type: 'string' } } },
  'required subset': { type: 'object', properties: { a: short, b: { type: 'integer' } }, required: ['a'] },
  'additionalProperties schema': { type: 'object', additionalProperties: { type: 'integer' }, maxProperties: 3 },
  'additionalProperties true': { type: 'object', properties: { a: { type: 'boolean' } }, additionalProperties: true, maxProperties: 2 },
  'minProperties and maxProperties': { type: 'object', additionalProperties: { type: 'boolean' }, minProperties: 1, maxProperties: 2 },
  'items with minItems and maxItems': { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 4 },
  prefixItems: { type: 'array', prefixItems: [short, { type: 'number' }], maxItems: 3, items: { type: 'boolean' } },
  anyOf: { type: 'object', properties: { v: { anyOf: [{ type: 'integer' }, short] } } },
  'oneOf discriminated': {
    oneOf: [
      { type: 'object', properties: { kind: { const: 'a' }, n: { type: 'integer' } }, required: ['kind'] },
      { type: 'object', properties: { kind: { const: 'b' }, s: short }, required: ['kind'] },
    ],
  },
  'allOf with one schema': { type: 'object', properties: { a: { allOf: [{ $ref: '#/$defs/small' }], description: 'x' } }, $defs: { small: { type: 'integer' } } },
  '$ref and $defs, recursive': {
    $ref: '#/$defs/node',
    $defs: { node: { type: 'object', properties: { v: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } } } },
  },
  'definitions (draft 7)': { type: 'object', properties: { p: { $ref: '#/definitions/p' } }, definitions: { p: { enum: [1, 2, 3] } } },
  'annotations are ignored': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'T',
    description: 'D',
    type: 'object',
    properties: { a: { type: 'integer', title: 'A', default: 1, examples: [2] } },
  },
};

describe('structured output on stories260K validates with ajv over many seeds', () => {
  it.each(Object.entries(schemas))('%s', async (name, schema) => {
    const validate = ajv.compile(schema);
    let stopped = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const { text, finish } = await collect(
        model.chat({
          messages: [{ role: 'user', content: 'Reply in JSON.' }],
          responseFormat: { type: 'json-schema', schema },
          maxTokens: 200,
          temperature: 1,
          seed,
        }),
      );
      if (finish.reason !== 'stop') {
        expect(finish.reason).toBe('length');
        continue;
      }
      stopped++;
      const value: unknown = JSON.parse(text);
      expect(validate(value), `seed ${seed}: ${text}\n${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    tally[name] = `${stopped}/${seeds}`;
    // Enough answers must finish, or the check above would prove little (keys of free-form
    // objects are unbounded strings, so those finish less often within the token budget).
    expect(stopped).toBeGreaterThanOrEqual(Math.ceil(seeds / 4));
  }, 120_000);
});

describe('only the grammar ends a constrained answer', () => {
  it('JSON mode never stops inside open JSON, although stories260K emits BOS (issue 11 request, 10 seeds)', async () => {
    let stopped = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const { text, finish } = await collect(
        model.chat({ messages: [{ role: 'user', content: 'Reply in JSON.' }], maxTokens: 300, responseFormat: { type: 'json' }, seed, temperature: 0.8 }),
      );
      if (finish.reason === 'stop') {
        stopped++;
        expect(() => JSON.parse(text), text).not.toThrow();
      } else {
        expect(finish.reason).toBe('length');
      }
    }
    console.log(`JSON mode: ${stopped}/10 answers ended with stop, all parsed`);
  }, 60_000);

  it('ignores stop strings and stop tokens under a grammar', async () => {
    const { text, finish } = await collect(
      model.chat({
        messages: [{ role: 'user', content: 'Hi' }],
        grammar: 'root ::= "Once upon a time, " [a-z ]{5,20} "."',
        stop: ['upon', ' '],
        maxTokens: 60,
        temperature: 0.8,
        seed: 3,
      }),
    );
    expect(text).toMatch(/^Once upon a time, [a-z ]{5,20}\.$/);
    expect(finish.reason).toBe('stop');
  });

  it("is not cut by the chat template's text stop trigger (Llama 2's </s>) inside the grammar", async () => {
    const { text, finish } = await collect(
      model.chat({ messages: [{ role: 'user', content: 'Hi' }], grammar: 'root ::= "{\\"a\\": \\"x</s>y\\"}"', maxTokens: 40, temperature: 0 }),
    );
    expect(text).toBe('{"a": "x</s>y"}');
    expect(finish.reason).toBe('stop');
  });

  it('follows a GBNF grammar in raw completions too', async () => {
    const { text, finish } = await collect(model.complete({ prompt: 'Once upon a time', grammar: 'root ::= " there was a " ("cat" | "dog") "."', temperature: 0 }));
    expect(text).toMatch(/^ there was a (cat|dog)\.$/);
    expect(finish.reason).toBe('stop');
  });

  it('follows a JSON schema in raw completions, ending at the grammar', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    const { text, finish } = await collect(model.complete({ prompt: 'Once upon a time', responseFormat: { type: 'json-schema', schema }, maxTokens: 80, temperature: 0.9, seed: 5 }));
    expect(finish.reason).toBe('stop');
    expect(text).toBe(text.trim());
    expect(Number.isInteger((JSON.parse(text) as { n: number }).n)).toBe(true);
  });

  it.each([
    ['does not parse', 'root ::= ('],
    ['is left-recursive', 'root ::= root "a" | "b"'],
    ['repeats too much', 'root ::= "a"{0,100000}'],
  ])('refuses a GBNF grammar that %s, before anything streams', (_name, grammar) => {
    expect(() => model.chat({ messages: [{ role: 'user', content: 'Hi' }], grammar })).toThrow(
      expect.objectContaining({ code: 'HEYLOOK_INVALID_REQUEST', param: 'grammar' }),
    );
  });
});

describe('logit_bias', () => {
  it('bans a token with -100 and favours one with +100', async () => {
    const prompt = 'Once upon a time';
    const plain = await collect(model.complete({ prompt, maxTokens: 3, temperature: 0 }));
    const start = plain.finish.usage.promptTokens;
    const first = plain.finish.context![start]!;
    const banned = await collect(model.complete({ prompt, maxTokens: 3, temperature: 0, logitBias: { [first]: -100 } }));
    expect(banned.finish.context![start]).not.toBe(first);
    const lily = (await model.tokenize(' Lily'))[0]!;
    const favoured = await collect(model.complete({ prompt, maxTokens: 3, temperature: 0, logitBias: { [lily]: 100 } }));
    expect(favoured.finish.context!.slice(-3)).toEqual([lily, lily, lily]);
  });

  it('refuses a token id outside the vocabulary', () => {
    expect(() => model.complete({ prompt: 'x', logitBias: { 512: 1 } })).toThrow(expect.objectContaining({ param: 'logit_bias' }));
  });
});
