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
 * wide: `undefined` (llama.cpp's own `auto`, on) for heads whose width is a multiple of 64,
 * else off (`false`). With a GPU, callers keep `auto`. llama.cpp's CPU flash-attention kernel
 * walks the cache one cached token at a time; with heads of other widths it slows decoding
 * sharply as the context grows. Measured with bench/gguf-context-bench.mjs on this project's
 * 2-core test machine (AVX-512), decoding off vs on: stories260K (heads of 8) 3x faster off
 * after 376 tokens of context, 4.4x after 1,500; a random 78M Q8_0 Llama with heads of 96 1.7x
 * after 375 and 2-2.5x after 1,500-3,000 (0.73x at 26 tokens); two layers shaped like Phi-3
 * mini's (heads of 96, 3072 wide) 1.4x, 2x and 3x. With heads of 64 (most 0.5-2B models:
 * Qwen2.5-0.5B, Llama 3.2 1B, SmolLM2) decoding was 1.2x faster on at 25 tokens and 1.05-1.2x
 * slower after 375-3,000; with heads of 128 level. Prompts ran faster on for every width but 8
 * (heads of 64: 1.6-1.8x, 128: 1.3x), so heads of 64 and 128 keep it; concurrent short
 * streams gain too (heads of 64, 8 streams in process: ~1.3x).
 */
export function cpuFlashAttention(headWidth: number | undefined): false | undefined {
  return headWidth !== undefined && headWidth % 64 !== 0 ? false : undefined;
}
