import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GrammarCompiler, StructuralTagFormat, TokenizerInfo } from '@mlc-ai/web-xgrammar';
import { SchemaConverter } from './schema-converter.js';
import { TokenConstraint } from './token-constraint.js';
import { loadXgrammar, type Xgrammar } from './xgrammar.js';

interface TokenizerJson {
  model: { type?: string; vocab?: Record<string, number> | [string, number][] };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  decoder?: TokenizerStep | null;
  normalizer?: TokenizerStep | null;
  pre_tokenizer?: TokenizerStep | null;
}

interface TokenizerStep {
  type: string;
  decoders?: TokenizerStep[];
  normalizers?: TokenizerStep[];
  pretokenizers?: TokenizerStep[];
  prepend?: string;
  prepend_scheme?: string;
}

/** The vocabulary as xgrammar takes it: each id's token text, special tokens as "". */
export interface EncodedVocabulary {
  tokens: string[];
  /** How token texts spell bytes: GPT-2's byte-to-unicode map, `<0xNN>` pieces, or plain text. */
  type: 'byte_level' | 'byte_fallback' | 'raw';
  /** The tokenizer puts a space before the text (SentencePiece's `▁`). */
  prependSpace: boolean;
}

/** The instance that holds vocabularies and matchers (one per process), and the one that reads clients' schemas. */
let engine: Xgrammar | undefined;
const converter = new SchemaConverter();

/**
 * A model's vocabulary in xgrammar and the compiler of its output grammars (xgrammar caches
 * compiled grammars, so a repeated schema compiles once). `param` names the request field a
 * schema came from, for the 400 an unusable schema gets.
 */
export class GrammarVocabulary {
  private constructor(
    private readonly info: TokenizerInfo,
    private readonly compiler: GrammarCompiler,
  ) {}

  /** `size`: the model's logit count (the mask covers it); `stopIds`: the tokens that end an answer. */
  static async load(dir: string, size: number, stopIds: number[], keptSpecial: string[]): Promise<GrammarVocabulary> {
    const json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
    const vocabulary = encodeVocabulary(json, keptSpecial);
    engine ??= loadXgrammar();
    // JSON mode's schema: converting it readies the converter's instance too.
    await converter.toGrammar({ type: 'object' }, 'response_format');
    const info = await engine.TokenizerInfo.createTokenizerInfo(vocabulary.tokens, vocabulary.type, vocabulary.prependSpace, Math.max(size, vocabulary.tokens.length), stopIds);
    return new GrammarVocabulary(info, await engine.GrammarCompiler.createGrammarCompiler(info));
  }

  /** A fresh constraint for one answer that must match `format`. */
  async constraint(format: StructuralTagFormat, param: string): Promise<TokenConstraint> {
    const compiled = await this.compiler.compileStructuralTag({ type: 'structural_tag', format: await withSchemaGrammars(format, param) });
    try {
      return new TokenConstraint(await engine!.GrammarMatcher.createGrammarMatcher(compiled));
    } finally {
      compiled.dispose();
    }
  }

  dispose(): void {
    this.compiler.dispose();
    this.info.dispose();
  }
}

/** The format with every JSON schema replaced by its compact-JSON grammar, converted apart from the engine. */
async function withSchemaGrammars(format: StructuralTagFormat, param: string): Promise<StructuralTagFormat> {
  switch (format.type) {
    case 'json_schema':
      return { type: 'grammar', grammar: await converter.toGrammar(format.json_schema, param) };
    case 'qwen_xml_parameter':
      return { type: 'grammar', grammar: await converter.toGrammar(format.json_schema, param, 'qwen-xml') };
    case 'sequence':
    case 'or':
      return { ...format, elements: await Promise.all(format.elements.map((element) => withSchemaGrammars(element, param))) };
    case 'tag':
      return { ...format, content: await withSchemaGrammars(format.content, param) };
    default:
      return format;
  }
}

/** tokenizer.json → xgrammar's view of it, as xgrammar's own Hugging Face loader reads a tokenizer. */
export function encodeVocabulary(json: TokenizerJson, keptSpecial: string[]): EncodedVocabulary {
  const tokens: string[] = [];
  const vocab = json.model.vocab ?? {};
  if (Array.isArray(vocab)) vocab.forEach(([piece], id) => (tokens[id] = piece));
  else for (const [piece, id] of Object.entries(vocab)) tokens[id] = piece;
  // Special tokens never appear inside a constrained answer, except the markers it is written in.
  for (const token of json.added_tokens ?? []) tokens[token.id] = token.special && !keptSpecial.includes(token.content) ? '' : token.content;
  const decoders = stepsOf(json.decoder);
  const type = decoders.includes('ByteLevel') ? 'byte_level' : decoders.includes('ByteFallback') ? 'byte_fallback' : 'raw';
  const invalid = type === 'byte_level' ? byteLevelInvalid : type === 'byte_fallback' ? byteFallbackInvalid : undefined;
  for (let id = 0; id < tokens.length; id++) {
    // xgrammar takes bytes that never occur in UTF-8 as characters; decoded, each is a U+FFFD
    // of its own, so a string of them breaks maxLength. No model writes them in real text.
    if (tokens[id] === undefined || invalid?.test(tokens[id]!)) tokens[id] = '';
  }
  const prependSpace =
    flatten(json.normalizer).some((step) => step.type === 'Prepend' && step.prepend === '▁') ||
    flatten(json.pre_tokenizer).some((step) => step.type === 'Metaspace' && step.prepend_scheme !== 'never');
  return { tokens, type, prependSpace };
}

/** Bytes no UTF-8 text contains (0xC0, 0xC1, 0xF5–0xFF), as byte-fallback pieces and as GPT-2's byte-level characters (which spell these bytes as themselves). */
const byteFallbackInvalid = /^<0x(C[01]|F[5-9A-F])>$/i;
const byteLevelInvalid = /[\u00C0\u00C1\u00F5-\u00FF]/;

function flatten(step: TokenizerStep | null | undefined): TokenizerStep[] {
  if (!step) return [];
  return [step, ...[...(step.decoders ?? []), ...(step.normalizers ?? []), ...(step.pretokenizers ?? [])].flatMap(flatten)];
}

function stepsOf(step: TokenizerStep | null | undefined): string[] {
  return flatten(step).map((item) => item.type);
}
