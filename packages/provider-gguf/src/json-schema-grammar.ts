import { errorCodes, HeylookError } from '@heylook/core';
import { LlamaGrammar, LlamaJsonSchemaGrammar, type Llama } from 'node-llama-cpp';
import { toGrammarSchema } from './to-grammar-schema.js';

const monthAndDay = '("0" [1-9] | "1" [012]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])';
/** Days that exist in every year: no 02-30, no 04-31; 02-29 is left out (it needs the year). */
const realMonthAndDay =
  '(("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]))';
const exponent = '([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';

/**
 * Rules of node-llama-cpp 3.21.1's JSON-schema grammar that let through values the schema
 * forbids, and what we put in their place. Each is matched exactly: when node-llama-cpp
 * changes a rule, `patchJsonSchemaGrammar` throws instead of silently keeping a wrong one.
 */
const rulePatches: { rule: string; from: string; to: string }[] = [
  // An exponent makes `-300e-300`: not an integer. Integers get none.
  {
    rule: 'integer-number-rule',
    from: `"-"? ("0" | [1-9] [0-9]{0,15}) ${exponent}`,
    to: '"-"? ("0" | [1-9] [0-9]{0,15})',
  },
  // A 16-digit exponent overflows a double (`1e9999999` parses as Infinity); two digits never do.
  {
    rule: 'fractional-number-rule',
    from: `"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ${exponent}`,
    to: '"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?',
  },
  // A \u escape of a surrogate half counts two characters towards a length where a validator counts one.
  {
    rule: 'string-char-rule',
    from: '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}',
    to: '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] | "\\\\u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})',
  },
  // Dates like 2023-02-31 are not dates.
  {
    rule: 'string-format-date-rule',
    from: `"\\"" [0-9]{4} "-" ${monthAndDay} "\\""`,
    to: `"\\"" [0-9]{4} "-" ${realMonthAndDay} "\\""`,
  },
  {
    rule: 'string-format-date-time-rule',
    from: `"\\"" [0-9]{4} "-" ${monthAndDay} "T" ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ("Z" | ("+" | "-") ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]) "\\""`,
    to: `"\\"" [0-9]{4} "-" ${realMonthAndDay} "T" ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ("Z" | ("+" | "-") ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]) "\\""`,
  },
];

/** Replaces the rules in `rulePatches`; throws if one of them is there with another body. */
export function patchJsonSchemaGrammar(grammar: string): string {
  return grammar
    .split('\n')
    .map((line) => {
      const separator = line.indexOf(' ::= ');
      if (separator < 0) return line;
      const patch = rulePatches.find((item) => item.rule === line.slice(0, separator));
      if (!patch) return line;
      const body = line.slice(separator + 5);
      if (body !== patch.from) {
        throw new Error(`node-llama-cpp's grammar rule ${patch.rule} changed (${body}); review the patch in json-schema-grammar.ts`);
      }
      return `${patch.rule} ::= ${patch.to}`;
    })
    .join('\n');
}

/**
 * A grammar that only lets the model write JSON valid against `schema`. We let node-llama-cpp
 * write the GBNF (it handles whitespace, nesting and escapes well), from a schema we checked
 * and translated first, and fix the few rules of it that are too loose. Synchronous (the
 * constructors are what node-llama-cpp's async factories call), so a bad schema is a 400
 * before anything streams.
 */
export function createJsonSchemaGrammar(llama: Llama, schema: unknown, param = 'response_format'): LlamaGrammar {
  const translated = toGrammarSchema(schema, param);
  let grammar: string;
  try {
    grammar = new LlamaJsonSchemaGrammar(llama, translated as never).grammar;
  } catch (error) {
    // A definition that only refers to itself, or nesting past node-llama-cpp's limit.
    throw new HeylookError(errorCodes.invalidRequest, `The JSON schema cannot be turned into a grammar: ${error instanceof Error ? error.message : String(error)}.`, {
      param,
      cause: error,
    });
  }
  return new LlamaGrammar(llama, {
    grammar: patchJsonSchemaGrammar(grammar),
    // The generated root ends in four newlines: that, not an end token, ends the answer.
    stopGenerationTriggers: ['\n\n\n\n'],
    trimWhitespaceSuffix: true,
  });
}
