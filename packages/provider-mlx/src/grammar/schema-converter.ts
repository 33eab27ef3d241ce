import { errorCodes, HeylookError } from '@heylook/core';
import { LruCache } from '../lru-cache.js';
import { loadXgrammar, type Xgrammar } from './xgrammar.js';

const cacheSize = 64;

/**
 * Turns a client's JSON schema into a grammar (EBNF) for compact JSON: `{"a": 1, "b": [2, 3]}`,
 * the `json.dumps` layout models are trained on and chat templates render tool calls in.
 * xgrammar aborts its WebAssembly instance on a schema it can't convert, so conversion runs
 * in an instance of its own, replaced after a failure; the instance that holds the models'
 * vocabularies and running matchers never sees a client's schema.
 */
export class SchemaConverter {
  #instance: Xgrammar | undefined;
  #messages: string[] = [];
  /** Syntax and schema text → EBNF. */
  readonly #cache = new LruCache<string, string>(cacheSize);

  /** `syntax`: compact JSON, or Qwen3-Coder's `<parameter=key>value</parameter>` arguments. */
  async toGrammar(schema: unknown, param: string, syntax: 'json' | 'qwen-xml' = 'json'): Promise<string> {
    const text = JSON.stringify(schema);
    const key = `${syntax}:${text}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const instance = (this.#instance ??= loadXgrammar({
      log: (...args: unknown[]) => this.#messages.push(args.join(' ')),
      warn: (...args: unknown[]) => this.#messages.push(args.join(' ')),
      error: (...args: unknown[]) => this.#messages.push(args.join(' ')),
    }));
    this.#messages = [];
    let grammar: string;
    try {
      const converted =
        syntax === 'json'
          ? await instance.Grammar.fromJSONSchema(text, false, -1)
          : await instance.Grammar.fromStructuralTag({ type: 'structural_tag', format: { type: 'qwen_xml_parameter', json_schema: schema as Record<string, unknown> } });
      grammar = withJsonStringCharacters(converted.toString());
      converted.dispose();
    } catch (error) {
      this.#instance = undefined;
      throw new HeylookError(errorCodes.invalidRequest, `The JSON schema in "${param}" can't be enforced: ${this.#reason(error)}.`, { param, cause: error });
    }
    this.#cache.set(key, grammar);
    return grammar;
  }

  /** xgrammar's own words (`Unsupported type "nope"`), without its source location. */
  #reason(error: unknown): string {
    const fatal = this.#messages.find((message) => message.includes('[FATAL]'));
    const reason = fatal?.replace(/^.*\[FATAL\]\s*\S+:\d+:\s*/, '') ?? (error as Error).message;
    return reason.replace(/\.$/, '');
  }
}

/**
 * xgrammar 0.1.27 writes the characters of a length-bounded string (`maxLength`) as
 * `[^"\\\r\n]`, which lets raw control characters (U+0000–U+001F) through — invalid JSON.
 * Every JSON string character class gets the exclusion its unbounded strings have.
 */
function withJsonStringCharacters(grammar: string): string {
  return grammar.replaceAll('[^\\"\\\\\\r\\n]', '[^\\0-\\x1f\\"\\\\]');
}
