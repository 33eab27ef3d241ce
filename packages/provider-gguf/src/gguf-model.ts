import path from 'node:path';
import {
  abortError,
  assertCanChat,
  BaseProvider,
  errorCodes,
  forcedToolsOf,
  HeylookError,
  isHeylookError,
  PrefixSlotPool,
  type ChatRequest,
  type CpuEngine,
  type CompletionRequest,
  type EmbedRequest,
  type EmbedResult,
  type GenerateCallOptions,
  type GenerationOptions,
  type LoadOptions,
  type ModelInfo,
  type ProviderCapabilities,
  type StreamPart,
  type TokenizeOptions,
} from '@heylook/core';
import {
  DraftSequenceTokenPredictor,
  LlamaChat,
  LlamaCompletion,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { toChatFunctions, toChatHistory } from './chat-history.js';
import { forcedToolGrammar, parseForcedToolOutput, withToolInstruction } from './forced-tools.js';
import type { GgufConfig } from './gguf-config.js';
import { assertGgufFile, describeHeader, resolveModelPath, withConfiguredTemplate } from './gguf-file.js';
import { DecodeBatching, type DecodeStats } from './batching-strategy.js';
import { streamGeneration, type Generate } from './generation-stream.js';
import { chatWrapperFor, flashAttentionFor, loadLlamaModel } from './gguf-load.js';
import { isConstrained, requestedMaxTokens, samplingOptions, stopStrings, type StopReason } from './gguf-sampling.js';
import { GgufEmbedder } from './gguf-embedder.js';
import { grammarChatWrapper } from './grammar-chat-wrapper.js';
import { IncrementalDetokenizer } from './incremental-detokenizer.js';
import { llamaCpuEngine, setThreadBudget, sharedLlama } from './llama-instance.js';
import { messageOf } from './message-of.js';
import { requestGrammar } from './request-grammar.js';
import { toTokenBias } from './to-token-bias.js';

/** Below this file size one thread is fastest: thread sync costs more than the tiny matmuls (README). */
const smallModelBytes = 64 * 1024 * 1024;

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  draft?: { model: LlamaModel; context: LlamaContext };
  sequences: LlamaContextSequence[];
  pool: PrefixSlotPool<LlamaContextSequence>;
  chatWrapper: ChatWrapper;
  embedder: GgufEmbedder;
  threads: number;
  fileSize: number;
  batching: DecodeBatching;
  /** llama.cpp's share of the CPU beside other engines; none on a GPU. */
  cpu?: CpuEngine;
}

/** A GGUF model loaded in llama.cpp: one context, `parallel` sequences decoded in one batch. */
export class GgufModel extends BaseProvider<GgufConfig> {
  readonly capabilities: ProviderCapabilities;
  #loaded: Loaded | undefined;
  #jsonGrammar: Promise<LlamaGrammar> | undefined;

  constructor(...args: ConstructorParameters<typeof BaseProvider<GgufConfig>>) {
    super(...args);
    this.capabilities = {
      chat: true,
      complete: true,
      embed: true,
      tokenize: true,
      tools: true,
      jsonSchema: true,
      grammar: true,
      logitBias: true,
      vision: false,
      maxParallel: this.config.parallel,
    };
  }

  /** Sequences held by requests now (0 when idle or unloaded); lets tests see a cancelled request freed its sequence. */
  get busySequences(): number {
    return this.#loaded?.pool.busyCount ?? 0;
  }

  /** Decode batches run and rows decoded in them since load (rows / batches = mean batch size); a copy. */
  decodeStats(): DecodeStats {
    return { ...this.#requireLoaded().batching.stats };
  }

  get modelPath(): string {
    return resolveModelPath(this.config, this.context.baseDir);
  }

  async load(options: LoadOptions = {}): Promise<void> {
    if (this.#loaded) return;
    const { signal, onProgress } = options;
    const fileSize = await assertGgufFile(this.modelPath);
    const llama = await sharedLlama();
    signal?.throwIfAborted();
    const threads = this.config.n_threads ?? (fileSize < smallModelBytes ? 1 : Math.max(1, llama.cpuMathCores));
    const model = await loadLlamaModel(llama, this.config, this.modelPath, signal, (fraction) => onProgress?.({ fraction: fraction * 0.9 }));
    const disposeAll: (() => Promise<void>)[] = [() => model.dispose()];
    try {
      const contextSize = this.config.n_ctx ?? Math.min(model.trainContextSize, 4096);
      const batching = new DecodeBatching();
      const contextOptions = {
        contextSize,
        sequences: this.config.parallel,
        threads,
        batchSize: this.config.n_batch,
        flashAttention: flashAttentionFor(llama, this.config, model),
        batching: { itemPrioritizationStrategy: batching.strategy, dispatchSchedule: batching.dispatchSchedule },
        createSignal: signal,
      };
      let draft: Loaded['draft'];
      if (this.config.draft_model_path) {
        const draftPath = path.resolve(this.context.baseDir, this.config.draft_model_path);
        await assertGgufFile(draftPath);
        const draftModel = await loadLlamaModel(llama, this.config, draftPath, signal, () => undefined);
        disposeAll.unshift(() => draftModel.dispose());
        // Its own strategy: turns and counts are per context.
        const draftBatching = { itemPrioritizationStrategy: new DecodeBatching().strategy };
        draft = { model: draftModel, context: await draftModel.createContext({ ...contextOptions, batching: draftBatching }) };
      }
      const context = await model.createContext(contextOptions);
      disposeAll.unshift(() => context.dispose());
      const sequences = Array.from({ length: this.config.parallel }, () =>
        context.getSequence(
          draft
            ? {
                tokenPredictor: new DraftSequenceTokenPredictor(draft.context.getSequence(), {
                  minTokens: 0,
                  maxTokens: this.config.num_draft_tokens,
                }),
              }
            : {},
        ),
      );
      const chatWrapper = await chatWrapperFor(this.config, this.context.baseDir, model);
      const cpu = llamaCpuEngine(llama);
      const embedder = new GgufEmbedder(model, context, threads, cpu);
      setThreadBudget(llama, this, threads);
      const pool = new PrefixSlotPool(sequences, (sequence) => sequence.contextTokens, { adjacent: true });
      this.#loaded = { llama, model, context, sequences, pool, chatWrapper, embedder, threads, fileSize, batching, ...(draft ? { draft } : {}), ...(cpu ? { cpu } : {}) };
      if (this.config.embedding) await embedder.prepare();
      this.context.logger.debug(`gguf model "${this.modelId}" ready`, {
        contextSize: context.contextSize,
        sequences: this.config.parallel,
        threads,
        chatWrapper: chatWrapper.wrapperName,
      });
      onProgress?.({ fraction: 1 });
    } catch (error) {
      for (const dispose of disposeAll) await dispose().catch(() => undefined);
      this.#loaded = undefined;
      if (isHeylookError(error)) throw error;
      if (signal?.aborted) throw abortError(signal);
      throw new HeylookError(errorCodes.loadFailed, `Could not set up "${this.modelId}": ${messageOf(error)}`, { cause: error });
    }
  }

  async unload(): Promise<void> {
    const loaded = this.#loaded;
    if (!loaded) return;
    this.#loaded = undefined;
    this.#jsonGrammar = undefined;
    setThreadBudget(loaded.llama, this, undefined);
    await loaded.embedder.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
    if (loaded.draft) {
      await loaded.draft.context.dispose();
      await loaded.draft.model.dispose();
    }
  }

  chat(request: ChatRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const loaded = this.#requireLoaded();
    assertCanChat(this, request);
    const { forcedTools, offersTools, history, functions, promptTokens } = this.#chatPrompt(loaded, request);
    if (offersTools && request.responseFormat && request.responseFormat.type !== 'text') {
      throw new HeylookError(errorCodes.invalidRequest, 'response_format and tools cannot be combined for gguf models; send one of them.', {
        param: 'response_format',
      });
    }

    const constrained = !!forcedTools || isConstrained(request);
    const requested = forcedTools ? forcedToolGrammar(loaded.llama, forcedTools) : requestGrammar(loaded.llama, request);
    const tokenBias = request.logitBias ? toTokenBias(loaded.model, request.logitBias) : undefined;
    // Under a grammar only the grammar (or the length limit) ends the answer: a stop string would cut it open.
    const stops = constrained ? [] : stopStrings(this.config, request);
    return this.#stream(loaded, promptTokens, request, options, stops, async (sequence, hooks) => {
      const grammar = requested ?? (await this.#jsonModeGrammar(loaded, request));
      const chatWrapper = constrained ? grammarChatWrapper(loaded.chatWrapper) : loaded.chatWrapper;
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      try {
        const common = {
          ...samplingOptions(this.config, loaded.model, loaded.context.contextSize, request, promptTokens.length, constrained, tokenBias),
          signal: hooks.signal,
          stopOnAbortSignal: true,
          evaluationPriority: hooks.evaluationPriority,
          onToken: hooks.onTokens,
          onResponseChunk: (chunk: { type?: string; segmentType?: string; text: string }) => {
            if (chunk.type === 'segment' && chunk.segmentType === 'thought') hooks.onReasoning(chunk.text);
            else if (chunk.type === undefined && !forcedTools) hooks.onText(chunk.text);
            else if (forcedTools && forcedTools.length === 1) hooks.onToolCallDelta(0, forcedTools[0]!.name, chunk.text);
          },
          ...(request.think === false ? { budgets: { thoughtTokens: 0 } } : {}),
        };
        const response = functions
          ? await chat.generateResponse(history as ChatHistoryItem[], {
              ...common,
              functions: functions as ChatModelFunctions,
              documentFunctionParams: true,
              ...(request.parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
              onFunctionCallParamsChunk: (chunk) => hooks.onToolCallDelta(chunk.callIndex, chunk.functionName, chunk.paramsChunk),
            })
          : await chat.generateResponse(history as ChatHistoryItem[], { ...common, ...(grammar ? { grammar } : {}) });
        if (forcedTools && response.metadata.stopReason !== 'abort') {
          return { stopReason: 'functionCalls', toolCalls: parseForcedToolOutput(response.response, forcedTools) };
        }
        return {
          stopReason: response.metadata.stopReason,
          ...(response.functionCalls?.length
            ? { toolCalls: response.functionCalls.map((call) => ({ name: call.functionName, params: call.params })) }
            : {}),
        };
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  override async countChatTokens(request: ChatRequest): Promise<number> {
    return this.#chatPrompt(this.#requireLoaded(), request).promptTokens.length;
  }

  /** The chat prompt as chat() evaluates it: template, tool documentation or forced-tool instruction included. */
  #chatPrompt(loaded: Loaded, request: ChatRequest) {
    const forcedTools = forcedToolsOf(request);
    const offersTools = !forcedTools && request.toolChoice !== 'none' && (request.tools?.length ?? 0) > 0;
    const messages = forcedTools ? withToolInstruction(request.messages, forcedTools) : request.messages;
    const history = toChatHistory(messages);
    const functions = offersTools ? toChatFunctions(request.tools!) : undefined;
    const promptTokens = loaded.chatWrapper
      .generateContextState({ chatHistory: history, ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}) })
      .contextText.tokenize(loaded.model.tokenizer);
    return { forcedTools, offersTools, history, functions, promptTokens };
  }

  override complete(request: CompletionRequest, options: GenerateCallOptions = {}): AsyncIterable<StreamPart> {
    const loaded = this.#requireLoaded();
    const { model } = loaded;
    const bos = model.tokens.bos;
    const prependsBos = model.tokens.shouldPrependBosToken && bos !== null;
    // Tokenized like llama-server does (special tokens parsed); LlamaCompletion adds BOS itself.
    const previous = (request.context ?? []) as Token[];
    const input = [...(prependsBos && previous[0] === bos ? previous.slice(1) : previous), ...model.tokenize(request.prompt, true)];
    const promptTokens = prependsBos ? [bos!, ...input] : input;
    if (request.suffix !== undefined && (model.tokens.infill.prefix === null || model.tokens.infill.suffix === null)) {
      throw new HeylookError(errorCodes.unsupportedCapability, `Model "${this.modelId}" has no fill-in-the-middle tokens, so "suffix" cannot be used.`, {
        param: 'suffix',
      });
    }
    const constrained = isConstrained(request);
    const requested = requestGrammar(loaded.llama, request);
    const tokenBias = request.logitBias ? toTokenBias(loaded.model, request.logitBias) : undefined;
    // A JSON-schema grammar ends in newlines that LlamaChat trims; here they are cut as a stop string.
    const stops = constrained ? (requested?.stopGenerationTriggers.filter((trigger) => typeof trigger === 'string') ?? []) : stopStrings(this.config, request);
    return this.#stream(loaded, promptTokens, request, options, stops, async (sequence, hooks) => {
      const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        const grammar = requested ?? (await this.#jsonModeGrammar(loaded, request));
        // Text comes from tokens, detokenized after the tokens before them, so a continuation
        // keeps its leading space and a character split over tokens is never cut in half.
        const detokenizer = new IncrementalDetokenizer(model, input);
        const sampling = samplingOptions(this.config, loaded.model, loaded.context.contextSize, request, promptTokens.length, constrained, tokenBias);
        const generation = {
          ...sampling,
          signal: hooks.signal,
          stopOnAbortSignal: true,
          evaluationPriority: hooks.evaluationPriority,
          onToken: (tokens: Token[]) => {
            hooks.onTokens(tokens);
            hooks.onText(detokenizer.push(tokens));
          },
          ...(grammar ? { grammar, customStopTriggers: [...sampling.customStopTriggers, ...grammar.stopGenerationTriggers] } : {}),
        };
        const response =
          request.suffix !== undefined
            ? await completion.generateInfillCompletionWithMeta(input, model.tokenize(request.suffix, true), generation)
            : await completion.generateCompletionWithMeta(input, generation);
        return { stopReason: response.metadata.stopReason as StopReason };
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    }, true);
  }

  override async embed(request: EmbedRequest): Promise<EmbedResult> {
    return this.#requireLoaded().embedder.embed(request);
  }

  override async tokenize(text: string, options: TokenizeOptions = {}): Promise<number[]> {
    const { model } = this.#requireLoaded();
    const tokens = [...model.tokenize(text, options.parseSpecial ?? false)];
    const bos = model.tokens.bos;
    return options.addSpecial && model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
  }

  override async detokenize(tokens: number[]): Promise<string> {
    const { model } = this.#requireLoaded();
    // llama.cpp aborts the process on an id outside the vocabulary: check first.
    const vocabularySize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const bad = tokens.find((token) => !Number.isInteger(token) || token < 0 || token >= vocabularySize);
    if (bad !== undefined) {
      throw new HeylookError(errorCodes.invalidRequest, `Token ${bad} is not a token id of "${this.modelId}" (0 to ${vocabularySize - 1}).`, {
        param: 'tokens',
      });
    }
    return model.detokenize(tokens as Token[]);
  }

  override async countTokens(text: string): Promise<number> {
    return this.#requireLoaded().model.tokenize(text).length;
  }

  override async info(): Promise<ModelInfo> {
    const loaded = this.#requireLoaded();
    const info = await withConfiguredTemplate(describeHeader(loaded.model.fileInfo, this.modelPath, loaded.fileSize), this.config, this.context.baseDir);
    return { ...info, contextLength: loaded.context.contextSize };
  }

  /** The shared streaming loop of chat and complete. Checks the prompt fits before anything streams. */
  #stream(
    loaded: Loaded,
    promptTokens: readonly Token[],
    request: GenerationOptions,
    options: GenerateCallOptions,
    stops: string[],
    generate: Generate,
    returnContext = false,
  ): AsyncIterable<StreamPart> {
    const contextSize = loaded.context.contextSize;
    if (promptTokens.length >= contextSize) {
      throw new HeylookError(
        errorCodes.contextOverflow,
        `The prompt is ${promptTokens.length} tokens, but "${this.modelId}" has a context of ${contextSize} tokens. Shorten the prompt or raise n_ctx.`,
        { param: 'messages' },
      );
    }
    return streamGeneration(generate, {
      pool: loaded.pool,
      sequences: loaded.sequences,
      batching: loaded.batching,
      promptTokens,
      reusePrefix: this.config.prompt_cache,
      requestedMaxTokens: requestedMaxTokens(this.config, request),
      stopStrings: stops,
      returnContext,
      call: options,
      modelId: this.modelId,
      ...(loaded.cpu ? { cpu: loaded.cpu } : {}),
    });
  }

  /** llama.cpp's JSON grammar for JSON mode, read once per load. */
  async #jsonModeGrammar(loaded: Loaded, request: GenerationOptions): Promise<LlamaGrammar | undefined> {
    if (request.responseFormat?.type !== 'json') return undefined;
    this.#jsonGrammar ??= loaded.llama.getGrammarFor('json');
    return this.#jsonGrammar;
  }

  #requireLoaded(): Loaded {
    if (!this.#loaded) {
      throw new HeylookError(errorCodes.closed, `Model "${this.modelId}" is not loaded.`);
    }
    return this.#loaded;
  }
}
