import { errorCodes, HeylookError, type GenerationOptions } from '@heylook/core';
import { LlamaGrammar, type Llama } from 'node-llama-cpp';
import { createJsonSchemaGrammar } from './json-schema-grammar.js';

/**
 * The grammar a request asks for by itself: a JSON schema or a GBNF text (JSON mode uses
 * llama.cpp's shared JSON grammar, see GgufModel). Built synchronously so that a schema or
 * grammar we cannot use is a 400 before the first token.
 */
export function requestGrammar(llama: Llama, request: GenerationOptions): LlamaGrammar | undefined {
  if (request.responseFormat?.type === 'json-schema') return createJsonSchemaGrammar(llama, request.responseFormat.schema, 'response_format');
  if (request.grammar === undefined) return undefined;
  try {
    return new LlamaGrammar(llama, { grammar: request.grammar });
  } catch (error) {
    throw new HeylookError(errorCodes.invalidRequest, `The GBNF grammar cannot be parsed: ${error instanceof Error ? error.message : String(error)}.`, {
      param: 'grammar',
      cause: error,
    });
  }
}
