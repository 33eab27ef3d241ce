import path from 'node:path';
import {
  abortError,
  assertCanChat,
  BaseProvider,
  errorCodes,
  HeylookError,
  isHeylookError,
  StopMatcher,
  type ChatRequest,
  type CompletionRequest,
  type EmbedRequest,
  type EmbedResult,
  type FinishReason,
  type GenerateCallOptions,
  type GenerationOptions,
  type ImagePart,
  type LoadOptions,
  type ModelInfo,
  type ProviderCapabilities,
  type StreamPart,
} from '@heylook/core';
import { chatOutputFor } from './mlx-chat-format.js';
import type { MlxConfig } from './mlx-config.js';
import { describeFolder } from './mlx-folder.js';
import { GrammarVocabulary } from './grammar/grammar-vocabulary.js';
import { cacheTypeOf, loadMlxModel, markerTokens, type LoadedMlxModel as Loaded } from './mlx-load.js';
import { chatGrammarOf, completionGrammarOf, isConstrained, type RequestGrammar } from './grammar/request-grammar.js';
import { IncrementalDecoder, MlxTokenizer } from './mlx-tokenizer.js';
import { nativeLogitBias } from './logit-bias.js';
import { SpeculativeDecoder } from './speculative-decoder.js';
import { StepDecoder, type TokenDecoder } from './token-decoder.js';
import type { NativeImages, NativeSampling } from './native-binding.js';
import { expandImagePlaceholders, imageSpans, reuseKeys, type ImageSpan } from './vision/image-prompt.js';

type ChatOutput = ReturnType<typeof chatOutputFor>;

/** What shapes one generation beyond its prompt. */
interface GenerationShape {
  /** Return the prompt + generated ids as `context` (raw completions). */
  returnContext?: boolean;
  /** Chat output: reasoning and tool calls split off. */
  output?: ChatOutput;
  grammar?: RequestGrammar;
  /** The prompt's images and where their rows are. */
  images?: { parts: ImagePart[]; spans: ImageSpan[] };
}

/** A model folder (config.json, safetensors, tokenizer.json) decoded by MLX in the native addon. */
export class MlxModel extends BaseProvider<MlxConfig> {
  readonly capabilities: ProviderCapabilities;
  #loaded: Loaded | undefined;

  constructor(...args: ConstructorParameters<typeof BaseProvider<MlxConfig>>) {
    super(...args);
    this.capabilities = {
      chat: true,
      complete: true,
      embed: true,
      tokenize: true,
      tools: false,
      jsonSchema: true,
      logitBias: true,
      vision: false,
      maxParallel: this.config.parallel,
    };
  }

  get modelPath(): string {
    return path.resolve(this.context.baseDir, this.config.model_path);
  }

  async load(options: LoadOptions = {}): Promise<void> {
    if (this.#loaded) return;
    const loaded = await loadMlxModel(this.config, this.modelPath, this.context.baseDir, options.signal);
    this.capabilities.tools = loaded.chatFormat.toolCalls !== undefined;
    this.capabilities.vision = loaded.vision !== undefined;
    this.#loaded = loaded;
    // The grammar engine's first use costs a second or two (compiling its WebAssembly, reading the vocabulary): pay it now, not in the first JSON request.
    this.#vocabulary(loaded).catch((error: unknown) => this.context.logger.warn('the grammar engine could not read the vocabulary', { error: (error as Error).message }));
    options.onProgress?.({ fraction: 1 });
  }

  async unload(): Promise<void> {
    const loaded = this.#loaded;
    this.#loaded = undefined;
    await loaded?.native.unload();
    (await loaded?.grammar?.catch(() => undefined))?.dispose();
    await loaded?.draft?.unload();
  }

  chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const loaded = this.#require();
    assertCanChat(this, request);
    const tools = request.tools?.length && request.toolChoice !== 'none' ? request.tools : undefined;
    const prompt = loaded.tokenizer.chatText(request.messages, { ...(tools ? { tools } : {}), ...this.#think(loaded, request) });
    const output = chatOutputFor(loaded.chatFormat, prompt, tools);
    const grammar = chatGrammarOf(request, loaded.chatFormat, prompt);
    const { ids, images } = this.#promptIds(loaded, request, prompt);
    return this.#stream(loaded, ids, request, options, { output, grammar, ...(images ? { images } : {}) });
  }

  /** The rendered chat prompt's ids, each image's placeholder expanded to its rows as the family's processor does. */
  #promptIds(loaded: Loaded, request: ChatRequest, prompt: string): { ids: number[]; images?: GenerationShape['images'] } {
    const parts = request.messages.flatMap((message) => (message.role === 'user' && typeof message.content !== 'string' ? message.content : [])).filter((part) => part.type === 'image');
    if (parts.length === 0) return { ids: loaded.tokenizer.encode(prompt, !loaded.tokenizer.hasChatTemplate) };
    if (!loaded.vision) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" cannot read images; send text only or pick a vision model.`, { param: 'messages' });
    }
    const { spec } = loaded.vision;
    const ids = loaded.tokenizer.encode(expandImagePlaceholders(prompt, spec, (id) => loaded.tokenizer.tokenText(id)), !loaded.tokenizer.hasChatTemplate);
    return { ids, images: { parts, spans: imageSpans(ids, spec, parts.map((image) => image.data)) } };
  }

  /**
   * `think` reaches the template only where it has a switch for it (Qwen3's enable_thinking).
   * A constrained answer (JSON, a forced call) skips thinking unless asked to think, as its
   * grammar then has nothing to wait for.
   */
  #think(loaded: Loaded, request: ChatRequest): { think?: boolean } {
    if (!loaded.chatFormat.thinkSwitch) return {};
    const think = request.think ?? (isConstrained(request) ? false : undefined);
    return think !== undefined ? { think } : {};
  }

  override complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const loaded = this.#require();
    if (request.suffix !== undefined) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" (mlx) has no fill-in-the-middle support.`, { param: 'suffix' });
    }
    const prompt = request.context?.length ? [...request.context, ...loaded.tokenizer.encode(request.prompt, false)] : loaded.tokenizer.encode(request.prompt);
    if (prompt.length === 0 && loaded.tokenizer.bosId !== undefined) prompt.push(loaded.tokenizer.bosId);
    const grammar = completionGrammarOf(request);
    return this.#stream(loaded, prompt, request, options, { returnContext: true, ...(grammar ? { grammar } : {}) });
  }

  override async embed(request: EmbedRequest): Promise<EmbedResult> {
    const loaded = this.#require();
    return loaded.cpu ? loaded.cpu.work(() => this.#embed(loaded, request)) : this.#embed(loaded, request);
  }

  async #embed(loaded: Loaded, request: EmbedRequest): Promise<EmbedResult> {
    const embeddings: number[][] = [];
    let promptTokens = 0;
    for (const [index, text] of request.input.entries()) {
      let ids = loaded.tokenizer.encode(text);
      if (ids.length > loaded.contextLength) {
        if (request.truncate === false) {
          throw new HeylookError(errorCodes.contextOverflow, `input[${index}] has ${ids.length} tokens, more than the ${loaded.contextLength} this model takes.`, {
            param: 'input',
          });
        }
        ids = ids.slice(0, loaded.contextLength);
      }
      promptTokens += ids.length;
      const vector = Array.from(await loaded.native.embed(Int32Array.from(ids)));
      const cut = request.dimensions !== undefined && request.dimensions < vector.length ? vector.slice(0, request.dimensions) : vector;
      const norm = Math.hypot(...cut) || 1;
      embeddings.push(cut.map((value) => value / norm));
    }
    return { embeddings, usage: { promptTokens } };
  }

  override async tokenize(text: string): Promise<number[]> {
    return this.#require().tokenizer.encode(text, false);
  }

  override async detokenize(tokens: number[]): Promise<string> {
    return this.#require().tokenizer.decode(tokens);
  }

  override async countTokens(text: string): Promise<number> {
    return this.#require().tokenizer.encode(text, false).length;
  }

  override async countChatTokens(request: ChatRequest): Promise<number> {
    const loaded = this.#require();
    const tools = request.toolChoice === 'none' ? undefined : request.tools;
    const prompt = loaded.tokenizer.chatText(request.messages, { ...(tools ? { tools } : {}), ...this.#think(loaded, request) });
    return this.#promptIds(loaded, request, prompt).ids.length;
  }

  /**
   * Since load: decode forward passes, rows decoded in them (rows / batches = mean batch size),
   * hand-offs of decoded tokens to requests (rows / handoffs = mean tokens per hand-off), and
   * the native calls that evaluated prompt pieces with how many pieces they took.
   */
  decodeStats(): { batches: number; rows: number; handoffs: number; prefillCalls: number; prefillPieces: number } {
    const { batcher, prefiller } = this.#require();
    return { batches: batcher.batches, rows: batcher.rows, handoffs: batcher.handoffs, prefillCalls: prefiller.calls, prefillPieces: prefiller.pieces };
  }

  override async info(): Promise<ModelInfo> {
    return describeFolder(this.modelPath);
  }

  #stream(
    loaded: Loaded,
    prompt: number[],
    request: GenerationOptions,
    options: GenerateCallOptions,
    shape: GenerationShape,
  ): AsyncIterable<StreamPart> {
    if (prompt.length >= loaded.contextLength) {
      throw new HeylookError(
        errorCodes.contextOverflow,
        `The prompt is ${prompt.length} tokens, but "${this.modelId}" takes at most ${loaded.contextLength}. Shorten the prompt.`,
        { param: 'messages' },
      );
    }
    // Checked before anything streams: a bad logit_bias is the client's mistake.
    const sampling = this.#sampling(loaded, request);
    return this.#generate(loaded, prompt, request, sampling, options, shape);
  }

  /**
   * Prefill, then decode; abort, stop ids, stop strings and limits are checked after every
   * token. Chat output then goes through `output` (reasoning and tool calls split off). Under
   * a `grammar` only the grammar (or the length limit) ends the answer: a stop string would
   * cut it open.
   */
  async *#generate(
    loaded: Loaded,
    prompt: number[],
    request: GenerationOptions,
    sampling: NativeSampling,
    options: GenerateCallOptions,
    { returnContext, output, grammar, images }: GenerationShape,
  ): AsyncGenerator<StreamPart> {
    const parts = (text: string): StreamPart[] => (output ? output.push(text) : text ? [{ type: 'text-delta', text }] : []);
    const { signal } = options;
    const constraint = grammar && (await this.#vocabulary(loaded).then((vocabulary) => vocabulary.constraint(grammar.format, grammar.param)));
    // Reuse compares image rows by their picture's content, not by the image token they all share.
    const keys = images ? reuseKeys(prompt, images.spans) : prompt;
    const lease = await loaded.slots.take(keys, signal).catch((error: unknown) => {
      constraint?.dispose();
      throw error;
    });
    const { slot } = lease;
    const started = performance.now();
    const endWork = loaded.cpu?.begin();
    try {
      // An image is evaluated whole (Gemma 3's rows attend to each other): reuse stops before one it would split.
      let reused = images?.spans.find((span) => span.start < lease.reused && lease.reused < span.start + span.length)?.start ?? lease.reused;
      // A cache quantized from quantized_kv_start on holds even its first tokens quantized; going on
      // from fewer of them than that would differ from a fresh run, which evaluates them in float.
      const quantizedFrom = cacheTypeOf(this.config) === 'quantized' ? this.config.quantized_kv_start : undefined;
      if (quantizedFrom !== undefined && slot.tokens.length >= quantizedFrom && reused < quantizedFrom) reused = 0;
      if (reused < slot.tokens.length) {
        await loaded.native.trim(slot.id, reused);
        await loaded.draft?.trim(slot.id, reused);
      }
      slot.tokens = slot.tokens.slice(0, reused);
      const rows = images && (await this.#imageRows(loaded, images, reused, signal));
      const stopIds = new Set(loaded.tokenizer.eosIds);
      if (this.config.stop_on_bos && loaded.tokenizer.bosId !== undefined) stopIds.add(loaded.tokenizer.bosId);
      // A draft model's guesses can't be checked against a grammar, nor drafted over image rows: those decode step by step.
      const decoder: TokenDecoder =
        loaded.draft && !constraint && !images
          ? new SpeculativeDecoder(loaded.native, loaded.draft, slot.id, sampling, this.config.num_draft_tokens)
          : new StepDecoder(loaded.native, loaded.prefiller, loaded.batcher, slot.id, sampling, [...stopIds], constraint);
      const requestedMaxTokens = request.maxTokens ?? this.config.max_tokens ?? Infinity;
      const maxTokens = Math.min(requestedMaxTokens, loaded.contextLength - prompt.length);
      const stops = new StopMatcher(constraint ? [] : [...this.config.stop, ...(request.stop ?? [])]);
      const text = new IncrementalDecoder(loaded.tokenizer, prompt, output !== undefined);
      const generated: number[] = [];

      let batch = await decoder.start(prompt, reused, request.seed, rows);
      // The slot holds the evaluated ids with image rows as their content keys: copied once here, extended per chunk below.
      slot.tokens = images ? [...keys, ...decoder.evaluated.slice(keys.length)] : decoder.evaluated;
      const firstTokenAt = performance.now();
      let reason: FinishReason | undefined;
      // Tokens of the last batch after the one that ended the answer: decoded, but not part of it.
      let unused = 0;
      while (!reason) {
        // A batch's text goes out as one part: one event per chunk for the servers to write, not one per token.
        let delta = '';
        for (const [index, token] of batch.entries()) {
          if (signal?.aborted) reason = 'cancelled';
          else if (stopIds.has(token)) reason = 'stop';
          else {
            generated.push(token);
            delta += stops.push(text.push(token));
            if (stops.stopped) reason = 'stop';
            else if (generated.length >= maxTokens) reason = 'length';
          }
          if (reason) {
            unused = batch.length - index - 1;
            break;
          }
        }
        yield* parts(delta);
        if (reason) break;
        // Aborted while its text was out: don't decode another chunk for nobody.
        if (signal?.aborted) {
          reason = 'cancelled';
          break;
        }
        batch = await decoder.next(maxTokens - generated.length);
        if (images) slot.tokens.push(...decoder.evaluated.slice(slot.tokens.length));
        else slot.tokens = decoder.evaluated;
      }
      // The slot must hold exactly the answer's tokens, so a next request sharing them reuses them.
      await decoder.rewind(unused);
      slot.tokens.length = decoder.evaluated.length;
      yield* parts(stops.flush());
      if (output) yield* output.flush();
      const ended = performance.now();
      yield {
        type: 'finish',
        // A turn that ends in tool calls is the model handing over to the tools.
        reason: reason === 'stop' && output?.toolCallCount ? 'tool-calls' : reason,
        ...(stops.matched !== undefined ? { stopSequence: stops.matched } : {}),
        ...(reason === 'length' && generated.length < requestedMaxTokens ? { contextFull: true } : {}),
        usage: {
          promptTokens: prompt.length,
          completionTokens: generated.length,
          cachedPromptTokens: reused,
          timings: { promptMs: firstTokenAt - started, generationMs: ended - firstTokenAt },
        },
        ...(returnContext ? { context: [...prompt, ...generated] } : {}),
      };
    } catch (error) {
      // The native caches may be partly updated: forget what the slot holds.
      slot.tokens = [];
      await loaded.native.trim(slot.id, 0).catch(() => undefined);
      await loaded.draft?.trim(slot.id, 0).catch(() => undefined);
      if (isHeylookError(error)) throw error;
      if (signal?.aborted) throw abortError(signal);
      throw new HeylookError(errorCodes.providerError, `MLX generation failed in "${this.modelId}": ${(error as Error).message}`, { cause: error });
    } finally {
      endWork?.();
      lease.release();
      constraint?.dispose();
    }
  }

  /** Feature rows for the images not already in the sequence's cache, with their offsets in the ids fed after `reused`. */
  async #imageRows(loaded: Loaded, images: NonNullable<GenerationShape['images']>, reused: number, signal: AbortSignal | undefined): Promise<NativeImages | undefined> {
    const offsets: number[] = [];
    const features: Float32Array[] = [];
    for (const [index, span] of images.spans.entries()) {
      if (span.start < reused) continue;
      signal?.throwIfAborted();
      features.push(await loaded.vision!.encoder.features(images.parts[index]!, span.key));
      offsets.push(span.start - reused);
    }
    return offsets.length ? { offsets: Int32Array.from(offsets), features } : undefined;
  }

  /** The model's vocabulary in the grammar engine (its first use reads tokenizer.json once more). */
  #vocabulary(loaded: Loaded): Promise<GrammarVocabulary> {
    loaded.grammar ??= GrammarVocabulary.load(this.modelPath, loaded.vocabSize, [...loaded.tokenizer.eosIds], markerTokens);
    return loaded.grammar;
  }

  #sampling(loaded: Loaded, request: GenerationOptions): NativeSampling {
    const topK = request.topK ?? this.config.top_k;
    const topP = request.topP ?? this.config.top_p;
    const minP = request.minP ?? this.config.min_p;
    const penalty = request.repeatPenalty ?? this.config.repetition_penalty;
    return {
      temperature: request.temperature ?? this.config.temperature ?? 0.8,
      topK,
      topP,
      minP,
      repetitionPenalty: penalty,
      repetitionContextSize: request.repeatLastN ?? this.config.repetition_context_size,
      ...nativeLogitBias(request.logitBias, loaded.vocabSize),
    };
  }

  #require(): Loaded {
    if (!this.#loaded) throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" is not loaded.`);
    return this.#loaded;
  }
}
