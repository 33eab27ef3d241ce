import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorCodes } from '../errors/heylook-error.js';
import { parseJsonText, parseRequest } from './parse-request.js';

describe('parseRequest', () => {
  const schema = z.object({ model: z.string(), options: z.object({ temperature: z.number() }).optional() });

  it('returns the parsed body and names the failing field', () => {
    expect(parseRequest(schema, { model: 'm' })).toEqual({ model: 'm' });
    expect(() => parseRequest(schema, { model: 'm', options: { temperature: 'hot' } })).toThrow(
      expect.objectContaining({ code: errorCodes.invalidRequest, param: 'options.temperature', message: expect.stringContaining('"options.temperature"') }),
    );
    expect(() => parseRequest(schema, 'text')).toThrow(/must be a JSON object/);
  });
});

describe('parseJsonText', () => {
  it('parses JSON, treats an empty body as none, and codes malformed JSON', () => {
    expect(parseJsonText('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonText('  ')).toBeUndefined();
    expect(() => parseJsonText('{oops')).toThrow(expect.objectContaining({ code: errorCodes.invalidRequest, message: expect.stringMatching(/^Body is not valid JSON/) }));
  });
});
