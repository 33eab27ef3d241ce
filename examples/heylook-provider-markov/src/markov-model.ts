import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  assertCanChat,
  BaseProvider,
  errorCodes,
  HeylookError,
  StopMatcher,
  type ChatRequest,
  type CompletionRequest,
  type GenerateCallOptions,
  type GenerationOptions,
  type LoadOptions,
  type ProviderCapabilities,
  type StreamPart,
} from '@heylook/core';
import { END, MarkovChain, seededRandom } from './markov-chain.js';
import type { MarkovConfig } from './markov-config.js';

/** A Markov chain learned from a text file at load time. */
export class MarkovModel extends BaseProvider<MarkovConfig> {
  readonly capabilities: ProviderCapabilities = {
    chat: true,
    complete: true,
    embed: false,
    tokenize: true,
    tools: false,
    jsonSchema: false,
    vision: false,
    // Generation is synchronous per token and keeps its state per request.
    maxParallel: 8,
  };

  #chain: MarkovChain | undefined;

  async load(options: LoadOptions = {}): Promise<void> {
    const file = path.resolve(this.context.baseDir, this.config.model_path);
    let text: string;
    try {
      text = await readFile(file, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      throw new HeylookError(errorCodes.loadFailed, `Cannot read the training text ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}. Check model_path.`, {
        cause: error,
      });
    }
    this.#chain = new MarkovChain(text, this.config.order);
    options.onProgress?.({ fraction: 1 });
    this.context.logger.info('markov chain trained', { file, vocabulary: this.#chain.vocabularySize });
  }

  async unload(): Promise<void> {
    this.#chain = undefined;
  }

  chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const chain = this.#loaded();
    assertCanChat(this, request);
    const prompt = request.messages.map((message) => (typeof message.content === 'string' ? message.content : '')).join('\n');
    return this.#generate(chain, prompt, request, options);
  }

  override complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    return this.#generate(this.#loaded(), request.prompt, request, options);
  }

  override async tokenize(text: string): Promise<number[]> {
    return this.#loaded().tokenize(text);
  }

  override async detokenize(tokens: number[]): Promise<string> {
    return this.#loaded().detokenize(tokens);
  }

  override async countTokens(text: string): Promise<number> {
    return this.#loaded().tokenize(text).length;
  }

  async *#generate(chain: MarkovChain, prompt: string, request: GenerationOptions, options: GenerateCallOptions): AsyncIterable<StreamPart> {
    const context = chain.tokenize(prompt);
    const promptTokens = context.length;
    const maxTokens = request.maxTokens ?? this.config.max_tokens;
    const temperature = request.temperature ?? this.config.temperature;
    const random = seededRandom(request.seed ?? Math.floor(Math.random() * 2 ** 32));
    const stops = new StopMatcher(request.stop ?? []);
    const usage = (completionTokens: number) => ({ promptTokens, completionTokens });
    let previous: number | undefined;
    let produced = 0;
    while (produced < maxTokens) {
      if (options.signal?.aborted) {
        yield { type: 'finish', reason: 'cancelled', usage: usage(produced) };
        return;
      }
      const next = chain.pick(context, temperature, random);
      produced++;
      if (next === END) {
        yield* this.#flush(stops);
        yield { type: 'finish', reason: 'stop', usage: usage(produced) };
        return;
      }
      const text = stops.push(chain.word(next, previous));
      if (text) yield { type: 'text-delta', text };
      if (stops.stopped) {
        yield { type: 'finish', reason: 'stop', usage: usage(produced) };
        return;
      }
      context.push(next);
      previous = next;
      // Let other requests and the abort signal in between tokens.
      await new Promise((resolve) => setImmediate(resolve));
    }
    yield* this.#flush(stops);
    yield { type: 'finish', reason: 'length', usage: usage(produced) };
  }

  *#flush(stops: StopMatcher): Iterable<StreamPart> {
    const rest = stops.flush();
    if (rest) yield { type: 'text-delta', text: rest };
  }

  #loaded(): MarkovChain {
    if (!this.#chain) throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" is not loaded.`);
    return this.#chain;
  }
}
