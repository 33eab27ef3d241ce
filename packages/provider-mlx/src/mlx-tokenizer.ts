import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChatMessage, ContentPart, ToolDefinition } from '@heylook/core';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

/** What a chat prompt renders beyond the messages. */
export interface ChatPromptOptions {
  /** Tools, rendered by the template as Hugging Face transformers passes them. */
  tools?: ToolDefinition[];
  /** The template's `enable_thinking` (Qwen3); left out when undefined so the template's default holds. */
  think?: boolean;
}

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
  /** Special tokens that stay in generated text because an output parser reads them (`[TOOL_CALLS]`, `<|python_tag|>`). */
  #keptSpecial = new Set<number>();

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template | undefined,
    private readonly config: TokenizerConfig,
    readonly bosId: number | undefined,
    readonly eosIds: Set<number>,
    /** The chat template's source, for telling which tool-call and reasoning formats the model uses. */
    readonly templateText: string | undefined,
    private readonly specialIds: Set<number>,
  ) {}

  static async load(dir: string, modelConfig: { bos_token_id?: number; eos_token_id?: number | number[] }): Promise<MlxTokenizer> {
    const json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens?: { id: number; special?: boolean }[] };
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
    const specialIds = new Set((json.added_tokens ?? []).filter((token) => token.special).map((token) => token.id));
    return new MlxTokenizer(tokenizer, templateText ? new Template(templateText) : undefined, config, modelConfig.bos_token_id, eos, templateText, specialIds);
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /** Text → ids. `addBos` follows tokenizer_config's add_bos_token. */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: number[]): string {
    // The tokenizer throws on an empty list.
    return ids.length ? this.tokenizer.decode(ids, { skip_special_tokens: true }) : '';
  }

  /** Generated ids → text: special tokens are skipped, except the markers kept with `keepSpecialTokens`. */
  decodeOutput(ids: number[]): string {
    if (this.#keptSpecial.size === 0) return this.decode(ids);
    const shown = ids.filter((id) => !this.specialIds.has(id) || this.#keptSpecial.has(id));
    return shown.length ? this.tokenizer.decode(shown, { skip_special_tokens: false }) : '';
  }

  /** The text of a token id (as the vocabulary spells it), if there is one. */
  tokenText(id: number): string | undefined {
    return this.tokenizer.id_to_token(id) ?? undefined;
  }

  /** The id of a token given by its text, if the vocabulary has it as one token. */
  tokenId(text: string): number | undefined {
    return this.tokenizer.token_to_id(text) ?? undefined;
  }

  /** Keeps these marker tokens in decoded output even when they are special tokens. */
  keepSpecialTokens(texts: string[]): void {
    for (const text of texts) {
      const id = this.tokenId(text);
      if (id !== undefined) this.#keptSpecial.add(id);
    }
  }

  /** The prompt ids of a conversation, through the model's chat template (plain turns when it has none). */
  chatPrompt(messages: ChatMessage[], options: ChatPromptOptions = {}): number[] {
    return this.encode(this.chatText(messages, options), !this.template);
  }

  /** The prompt text of a conversation: the template rendered as transformers' apply_chat_template does. */
  chatText(messages: ChatMessage[], options: ChatPromptOptions = {}): string {
    if (!this.template) {
      // No template (a base model): the turns as plain text, one per line.
      return messages.map((message) => contentText(message.content)).join('\n');
    }
    return this.template.render({
      messages: messages.map(toTemplateMessage),
      ...(options.tools?.length ? { tools: options.tools.map(toTemplateTool) } : {}),
      ...(options.think !== undefined ? { enable_thinking: options.think } : {}),
      add_generation_prompt: true,
      bos_token: tokenText(this.config.bos_token),
      eos_token: tokenText(this.config.eos_token),
    });
  }
}

function contentText(content: ChatMessage['content']): string {
  return typeof content === 'string' ? content : content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** A message as chat templates expect it (OpenAI's shape, as transformers passes it): tool calls with their arguments as an object. */
function toTemplateMessage(message: ChatMessage): Record<string, unknown> {
  // A message with images gets transformers' content list, where vision templates write their image placeholder.
  const withImages = typeof message.content !== 'string' && message.content.some((part) => part.type === 'image');
  const content = withImages ? (message.content as ContentPart[]).map((part) => (part.type === 'image' ? { type: 'image' } : part)) : contentText(message.content);
  const base = { role: message.role, content };
  if (message.role === 'assistant') {
    return {
      ...base,
      ...(message.reasoning ? { reasoning_content: message.reasoning } : {}),
      ...(message.toolCalls?.length
        ? {
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: parseArguments(call.arguments) },
            })),
          }
        : {}),
    };
  }
  if (message.role === 'tool') {
    return { ...base, ...(message.toolCallId ? { tool_call_id: message.toolCallId } : {}), ...(message.name ? { name: message.name } : {}) };
  }
  return base;
}

/** Templates index into arguments (`tool_call.arguments.items()`), so they get an object; text that is not a JSON object stays text. */
function parseArguments(text: string): unknown {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}

function toTemplateTool(tool: ToolDefinition): Record<string, unknown> {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
    },
  };
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

  readonly #decode: (ids: number[]) => string;

  /**
   * `previous`: the ids before the first pushed one, so its leading space survives decoding.
   * `markers`: keep the special marker tokens chat output parsers read (raw completions skip them, like every special token).
   */
  constructor(
    tokenizer: MlxTokenizer,
    previous: number[] = [],
    markers = true,
  ) {
    this.#decode = markers ? (ids) => tokenizer.decodeOutput(ids) : (ids) => tokenizer.decode(ids);
    this.#tokens = previous.slice(-4);
    this.#start = 0;
    this.#emitted = this.#decode(this.#tokens).length;
  }

  push(token: number): string {
    this.#tokens.push(token);
    const text = this.#decode(this.#tokens.slice(this.#start));
    if (text.endsWith('\uFFFD')) return '';
    const fresh = text.slice(this.#emitted);
    this.#emitted = text.length;
    if (this.#tokens.length - this.#start > 32) {
      // Slide the window so each step decodes a bounded number of tokens.
      this.#start = this.#tokens.length - 8;
      this.#emitted = this.#decode(this.#tokens.slice(this.#start)).length;
    }
    return fresh;
  }
}
