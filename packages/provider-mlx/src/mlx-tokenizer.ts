import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChatMessage } from '@heylook/core';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
  add_bos_token?: boolean;
}

/** The chat template of a model folder (chat_template.jinja, else tokenizer_config.json's), if any. */
export async function readChatTemplate(dir: string, config?: TokenizerConfig): Promise<string | undefined> {
  const templateFile = path.join(dir, 'chat_template.jinja');
  if (existsSync(templateFile)) return readFile(templateFile, 'utf8');
  const configFile = path.join(dir, 'tokenizer_config.json');
  config ??= existsSync(configFile) ? (JSON.parse(await readFile(configFile, 'utf8')) as TokenizerConfig) : {};
  return typeof config.chat_template === 'string' ? config.chat_template : config.chat_template?.find((item) => item.name === 'default')?.template;
}

/** tokenizer.json + tokenizer_config.json + the chat template, as mlx-lm reads them. */
export class MlxTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template | undefined,
    private readonly config: TokenizerConfig,
    readonly bosId: number | undefined,
    readonly eosIds: Set<number>,
  ) {}

  static async load(dir: string, modelConfig: { bos_token_id?: number; eos_token_id?: number | number[] }): Promise<MlxTokenizer> {
    const json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as object;
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = existsSync(configFile) ? (JSON.parse(await readFile(configFile, 'utf8')) as TokenizerConfig) : {};
    const tokenizer = new Tokenizer(json, config);
    const templateText = await readChatTemplate(dir, config);
    const eos = new Set<number>();
    const addEos = (value: unknown) => {
      for (const id of [value].flat()) if (typeof id === 'number') eos.add(id);
    };
    addEos(modelConfig.eos_token_id);
    const generationFile = path.join(dir, 'generation_config.json');
    if (existsSync(generationFile)) addEos((JSON.parse(await readFile(generationFile, 'utf8')) as { eos_token_id?: unknown }).eos_token_id);
    return new MlxTokenizer(tokenizer, templateText ? new Template(templateText) : undefined, config, modelConfig.bos_token_id, eos);
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /** Text → ids. `addBos` follows tokenizer_config's add_bos_token. */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  /** The prompt ids of a conversation, through the model's chat template (plain turns when it has none). */
  chatPrompt(messages: ChatMessage[]): number[] {
    const plain = messages.map((message) => ({
      role: message.role,
      content: typeof message.content === 'string' ? message.content : message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
    }));
    if (!this.template) {
      // No template (a base model): the turns as plain text, one per line.
      return this.encode(plain.map((message) => message.content).join('\n'));
    }
    const text = this.template.render({
      messages: plain,
      add_generation_prompt: true,
      bos_token: tokenText(this.config.bos_token),
      eos_token: tokenText(this.config.eos_token),
    });
    return this.encode(text, false);
  }
}

function tokenText(token: TokenizerConfig['bos_token']): string {
  return typeof token === 'string' ? token : (token?.content ?? '');
}

/**
 * Streams text from token ids without splitting a UTF-8 character (byte-fallback tokens
 * decode to U+FFFD until complete) or losing the space a word token carries.
 */
export class IncrementalDecoder {
  #tokens: number[] = [];
  #start = 0;
  #emitted = 0;

  /** `previous`: the ids before the first pushed one, so its leading space survives decoding. */
  constructor(
    private readonly tokenizer: MlxTokenizer,
    previous: number[] = [],
  ) {
    this.#tokens = previous.slice(-4);
    this.#start = 0;
    this.#emitted = this.#tokens.length ? tokenizer.decode(this.#tokens).length : 0;
  }

  push(token: number): string {
    this.#tokens.push(token);
    const text = this.tokenizer.decode(this.#tokens.slice(this.#start));
    if (text.endsWith('\uFFFD')) return '';
    const fresh = text.slice(this.#emitted);
    this.#emitted = text.length;
    if (this.#tokens.length - this.#start > 32) {
      // Slide the window so each step decodes a bounded number of tokens.
      this.#start = this.#tokens.length - 8;
      this.#emitted = this.tokenizer.decode(this.#tokens.slice(this.#start)).length;
    }
    return fresh;
  }
}
