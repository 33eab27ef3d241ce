import { errorCodes, HeylookError, type GenerationOptions } from '@heylook/core';
import { LlamaGrammar, type Llama } from 'node-llama-cpp';
import { createJsonSchemaGrammar } from './json-schema-grammar.js';

const maxRepetition = 1000;

/**
 * The grammar a request asks for by itself: a JSON schema or a GBNF text (JSON mode uses
 * llama.cpp's shared JSON grammar, see GgufModel). Built synchronously so that a schema or
 * grammar we cannot use is a 400 before the first token.
 */
export function requestGrammar(llama: Llama, request: GenerationOptions): LlamaGrammar | undefined {
  if (request.responseFormat?.type === 'json-schema') return createJsonSchemaGrammar(llama, request.responseFormat.schema, 'response_format');
  if (request.grammar === undefined) return undefined;
  // llama.cpp expands `x{m,n}` into n copies of the rule: a huge bound would eat memory.
  const bound = [...request.grammar.matchAll(/\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}/g)].flatMap((match) => [match[1], match[2]]).find((value) => Number(value) > maxRepetition);
  if (bound !== undefined) {
    throw new HeylookError(errorCodes.invalidRequest, `The GBNF grammar repeats something ${bound} times; at most ${maxRepetition} are allowed.`, { param: 'grammar' });
  }
  try {
    return new LlamaGrammar(llama, { grammar: request.grammar });
  } catch (error) {
    throw new HeylookError(errorCodes.invalidRequest, `The GBNF grammar cannot be parsed: ${error instanceof Error ? error.message : String(error)}.`, {
      param: 'grammar',
      cause: error,
    });
  }
}
