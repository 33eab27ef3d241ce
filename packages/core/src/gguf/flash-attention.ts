/** An attention layer's shape as a GGUF file gives it (`<arch>.embedding_length`, `<arch>.attention.*`). */
export interface AttentionShape {
  keyLength?: number;
  embeddingLength?: number;
  headCount?: number;
}

/** The width of an attention head: its key length, else the embedding width over the heads. */
export function attentionHeadWidth({ keyLength, embeddingLength, headCount }: AttentionShape): number | undefined {
  if (keyLength) return keyLength;
  return headCount && embeddingLength ? embeddingLength / headCount : undefined;
}

/**
 * llama.cpp's flash attention on the CPU, for a model whose attention heads are `headWidth`
 * wide: off (`false`) for heads narrower than 128, else `undefined`, llama.cpp's own `auto`.
 * With a GPU, callers keep `auto`. llama.cpp's CPU flash-attention kernel pays per cached token
 * and head, which narrow heads do not repay: decoding slows as the context grows. Measured with
 * bench/gguf-context-bench.mjs on this project's 2-core test machine, off vs on: stories260K
 * (heads of 8) decoded 2.5x faster after 376 tokens of context and 4x after 2965, and its
 * prompts ran 2-4x faster; a random 78M-parameter Q8_0 Llama (heads of 96) decoded 1.4x faster
 * after 376 tokens and 2.4-2.7x after 1500-3000, while its prompts ran 1.35-1.75x slower. With
 * heads of 128 decoding was level up to 1500 tokens (1.3x faster at 2965) and prompts 1.5-1.7x
 * slower, so those keep it.
 */
export function cpuFlashAttention(headWidth: number | undefined): false | undefined {
  return headWidth !== undefined && headWidth < 128 ? false : undefined;
}
