import { describe, expect, it } from 'vitest';
import { toGrammarSchema } from './to-grammar-schema.js';

const refused = (schema: unknown, ...fragments: string[]) => {
  let message = '';
  try {
    toGrammarSchema(schema);
  } catch (error) {
    expect(error).toMatchObject({ code: 'HEYLOOK_INVALID_REQUEST', param: 'response_format' });
    message = (error as Error).message;
  }
  expect(message, 'the schema was accepted').not.toBe('');
  for (const fragment of fragments) expect(message).toContain(fragment);
};

describe('toGrammarSchema refuses what the grammar would not enforce, naming it', () => {
  it.each([
    ['an invalid type', { type: 'nonsense' }, ['not a valid JSON Schema', 'type']],
    ['a wrongly typed keyword', { type: 'string', minLength: 'two' }, ['not a valid JSON Schema', 'minLength']],
    ['a schema that is not an object', [1, 2], ['must be a JSON object']],
    ['an open integer range', { type: 'object', properties: { age: { type: 'integer', minimum: 0 } } }, ['#/properties/age/minimum', 'at most 1000 values']],
    ['a wide integer range', { type: 'integer', minimum: 0, maximum: 5000 }, ['#/minimum', 'at most 1000 values']],
    ['an empty integer range', { type: 'integer', minimum: 3, exclusiveMaximum: 3 }, ['no integer lies in the given range']],
    ['a number range', { type: 'number', minimum: 0, maximum: 1 }, ['#/minimum', 'cannot be enforced on a number']],
    ['pattern', { type: 'string', pattern: '^a' }, ['#/pattern']],
    ['multipleOf', { type: 'number', multipleOf: 2 }, ['#/multipleOf']],
    ['a keyword of another type', { type: 'integer', maxLength: 3 }, ['"maxLength" does not apply for type integer']],
    ['an unknown keyword (a typo)', { type: 'string', minLenght: 2 }, ['"minLenght"']],
    ['uniqueItems', { type: 'array', uniqueItems: true }, ['uniqueItems']],
    ['a format we cannot write', { type: 'string', format: 'email' }, ['format "email"']],
    ['overlapping oneOf', { oneOf: [{ type: 'number' }, { type: 'integer' }] }, ['#/oneOf', 'use "anyOf"']],
    ['oneOf of objects without a discriminator', { oneOf: [{ type: 'object' }, { type: 'object', properties: { a: { type: 'string' } } }] }, ['#/oneOf']],
    ['allOf of several schemas', { allOf: [{ type: 'string' }, { maxLength: 2 }] }, ['#/allOf']],
    ['not', { not: { type: 'string' } }, ['"not"']],
    ['a reference to nothing', { $ref: '#/$defs/missing' }, ['points to no definition']],
    ['a remote reference', { $ref: 'https://example.com/schema.json' }, ['only references to']],
    ['a required property that is not listed', { type: 'object', required: ['a'] }, ['"a" is required but not in "properties"']],
    ['maxProperties below the listed properties', { type: 'object', properties: { a: { type: 'null' }, b: { type: 'null' } }, maxProperties: 1 }, ['maxProperties is 1']],
    ['minProperties without additional properties', { type: 'object', properties: { a: { type: 'null' } }, minProperties: 2 }, ['minProperties is 2']],
    ['maxItems below prefixItems', { type: 'array', prefixItems: [{ type: 'null' }, { type: 'null' }], maxItems: 1 }, ['maxItems is 1']],
    ['minLength above maxLength', { type: 'string', minLength: 5, maxLength: 2 }, ['minLength is above maxLength']],
    ['a huge bound', { type: 'string', maxLength: 100000 }, ['above the 1000']],
    ['an untyped value', { type: 'object', properties: { a: {} } }, ['#/properties/a', 'give it a type']],
    ['an object literal', { const: { a: 1 } }, ['only strings, numbers, booleans and null']],
    ['enum values none of the type', { type: 'string', enum: [1, 2] }, ['no listed value has the given "type"']],
    ['$defs below the root', { type: 'object', properties: { a: { $defs: {}, type: 'null' } } }, ['only supported at the root']],
  ])('%s', (_name, schema, fragments) => refused(schema, ...fragments));
});

describe('toGrammarSchema translates what JSON Schema means into what node-llama-cpp reads', () => {
  it('closes objects (leaving extras out is always valid) and keeps every property', () => {
    expect(toGrammarSchema({ type: 'object', properties: { a: { type: 'string', title: 'A' } }, required: [] })).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('turns anyOf and type lists into unions, and implies a type from its keywords', () => {
    expect(toGrammarSchema({ anyOf: [{ type: ['string', 'null'], maxLength: 3 }, { properties: {} }] })).toEqual({
      oneOf: [{ oneOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] }, { type: 'object', properties: {}, additionalProperties: false }],
    });
  });

  it('filters enum values by type and collects draft-7 definitions into $defs', () => {
    const result = toGrammarSchema({ $ref: '#/definitions/x', definitions: { x: { type: 'integer', enum: [1, 1.5, 'a', 2] } } });
    expect(result).toEqual({ oneOf: [{ $ref: '#/$defs/definitions.x' }], $defs: { 'definitions.x': { enum: [1, 2] } } });
  });

  it('writes a small integer range out as its values', () => {
    expect(toGrammarSchema({ type: 'integer', minimum: 1, maximum: 4 })).toEqual({ enum: [1, 2, 3, 4] });
    expect(toGrammarSchema({ type: 'integer', exclusiveMinimum: -3, maximum: 6, multipleOf: 3 })).toEqual({ enum: [0, 3, 6] });
    expect(toGrammarSchema({ type: ['integer', 'null'], minimum: 7, maximum: 7 })).toEqual({ oneOf: [{ const: 7 }, { type: 'null' }] });
  });

  it('accepts a discriminated oneOf', () => {
    const schema = {
      oneOf: [
        { type: 'object', properties: { kind: { const: 'a' } } },
        { type: 'object', properties: { kind: { enum: ['b', 'c'] } } },
      ],
    };
    expect(() => toGrammarSchema(schema)).not.toThrow();
  });
});
