import { errorCodes, HeylookError, type CpuEngine, type EmbedRequest, type EmbedResult } from '@heylook/core';
import type { LlamaContext, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';

/**
 * Embeddings of a loaded GGUF model: an embedding context of its own, made on first use (or at
 * load for embedding models), one input at a time since that context has a single sequence.
 */
export class GgufEmbedder {
  #context: Promise<LlamaEmbeddingContext> | undefined;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly generation: LlamaContext,
    private readonly threads: number,
    /** llama.cpp's share of the CPU beside other engines, if any: embedding works on it. */
    private readonly cpu?: CpuEngine,
  ) {}

  /** node-llama-cpp refuses input as long as the embedding context itself. */
  get #maxTokens(): number {
    return Math.min(this.generation.contextSize, this.model.trainContextSize);
  }

  prepare(): Promise<LlamaEmbeddingContext> {
    this.#context ??= this.model.createEmbeddingContext({ contextSize: this.#maxTokens, threads: this.threads }).catch((error: unknown) => {
      this.#context = undefined;
      throw error;
    });
    return this.#context;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const context = await this.prepare();
    const embedAll = async () => {
      const embeddings: number[][] = [];
      let promptTokens = 0;
      for (const [index, text] of request.input.entries()) {
        let tokens = this.model.tokenize(text, true);
        if (this.model.tokens.shouldPrependBosToken && this.model.tokens.bos !== null) tokens = [this.model.tokens.bos, ...tokens];
        const limit = this.#maxTokens - 1;
        if (tokens.length > limit) {
          if (request.truncate === false) {
            throw new HeylookError(
              errorCodes.contextOverflow,
              `input[${index}] has ${tokens.length} tokens, more than the ${limit} this model embeds at once; shorten it or allow truncation.`,
              { param: 'input' },
            );
          }
          tokens = tokens.slice(0, limit);
        }
        promptTokens += tokens.length;
        const embedding = await context.getEmbeddingFor(tokens);
        embeddings.push(normalize([...embedding.vector], request.dimensions));
      }
      return { embeddings, usage: { promptTokens } };
    };
    const run = this.#lock.then(() => (this.cpu ? this.cpu.work(embedAll) : embedAll()));
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    const context = this.#context;
    this.#context = undefined;
    if (context) await (await context.catch(() => undefined))?.dispose();
  }
}

/** L2-normalises, after cutting to `dimensions` when asked (Matryoshka-style truncation). */
function normalize(vector: number[], dimensions?: number): number[] {
  const cut = dimensions !== undefined && dimensions < vector.length ? vector.slice(0, dimensions) : vector;
  const norm = Math.hypot(...cut) || 1;
  return cut.map((value) => value / norm);
}
