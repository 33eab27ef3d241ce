import { beforeAll, describe, expect, it } from 'vitest';
import type { Llama } from 'node-llama-cpp';
import { createJsonSchemaGrammar, patchJsonSchemaGrammar } from '../src/json-schema-grammar.js';
import { sharedLlama } from '../src/llama-instance.js';

let llama: Llama;
beforeAll(async () => {
  llama = await sharedLlama();
});

const rule = (grammar: string, name: string) => grammar.split('\n').find((line) => line.startsWith(`${name} ::= `));

describe('createJsonSchemaGrammar', () => {
  it('gives integers no fraction and no exponent, and numbers a bounded exponent', () => {
    const { grammar } = createJsonSchemaGrammar(llama, { type: 'object', properties: { i: { type: 'integer' }, x: { type: 'number' } } });
    expect(rule(grammar, 'integer-number-rule')).toBe('integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15})');
    expect(rule(grammar, 'fractional-number-rule')).toMatch(/\(\[eE\] \[-\+\]\? \[0-9\]\{1,2\}\)\?$/);
  });

  it('only writes days that exist', () => {
    const { grammar } = createJsonSchemaGrammar(llama, { type: 'object', properties: { on: { type: 'string', format: 'date' } } });
    expect(rule(grammar, 'string-format-date-rule')).toContain('"02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8])');
  });

  it('refuses a schema that cannot become a grammar with a 400, not a crash', () => {
    const selfReference = { $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/a' } } };
    expect(() => createJsonSchemaGrammar(llama, selfReference)).toThrow(expect.objectContaining({ code: 'HEYLOOK_INVALID_REQUEST', param: 'response_format' }));
  });

  it('refuses a deeply nested schema with a 400', () => {
    let schema: Record<string, unknown> = { type: 'integer' };
    for (let depth = 0; depth < 5000; depth++) schema = { type: 'array', items: schema };
    expect(() => createJsonSchemaGrammar(llama, schema)).toThrow(expect.objectContaining({ code: 'HEYLOOK_INVALID_REQUEST', message: expect.stringContaining('nested deeper') }));
  });
});

describe('patchJsonSchemaGrammar', () => {
  it('throws when node-llama-cpp changed a rule it patches, instead of keeping a wrong one', () => {
    expect(() => patchJsonSchemaGrammar('root ::= integer-number-rule\ninteger-number-rule ::= [0-9]+')).toThrow(/changed/);
  });
});
