#pragma once

#include <string>

namespace heylook {

/**
 * Quantizes a Hugging Face Llama-family checkpoint the way mlx_lm.convert does: every 2-D
 * `.weight` of a linear or embedding layer whose input size divides by `group_size` becomes
 * packed uint32 `.weight` + `.scales` + `.biases`; everything else is copied. Writes
 * `<dst>/model.safetensors`. With `embeddings` false the embedding and LM head stay in
 * float (llama.cpp keeps its output tensor at higher precision for the same reason: the
 * logits see every error). Must run on the thread that owns the arrays.
 */
void quantize_checkpoint(const std::string& src, const std::string& dst, int bits, int group_size, bool embeddings);

}  // namespace heylook
