#pragma once

#include <string>
#include <vector>

#include "linear.h"
#include "model_config.h"
#include "weights.h"

namespace heylook {

/**
 * The vision side of a multimodal folder: a ViT (CLIP for LLaVA: class token, pre-norm, quick
 * GELU; SigLIP for Gemma 3: no class token, tanh GELU, post-norm) and the family's projector
 * into the language model's embedding space. Always float: quantized checkpoints keep it dense.
 */
class VisionTower {
 public:
  /** Loads the tower and projector tensors of every *.safetensors file of `dir`, in any of the three naming layouts. */
  VisionTower(const std::string& dir, const VisionConfig& config, int text_hidden);

  /** One image's pixels ([1, channels, height, width], channels-first) → its token rows [tokens, text hidden]. */
  mx::array encode(const mx::array& pixels) const;
  int tokens_per_image() const;
  std::vector<mx::array> parameters() const;

 private:
  struct Layer {
    Linear q, k, v, out, fc1, fc2;
    mx::array norm1_weight = mx::array(0.0f), norm1_bias = mx::array(0.0f);
    mx::array norm2_weight = mx::array(0.0f), norm2_bias = mx::array(0.0f);
  };
  struct Norm {
    mx::array weight = mx::array(0.0f), bias = mx::array(0.0f);
  };

  mx::array block(const Layer& layer, const mx::array& x) const;
  mx::array project(const mx::array& features) const;
  bool clip() const { return config_.family == "llava"; }

  VisionConfig config_;
  int text_hidden_ = 0;
  mx::array patch_weight_ = mx::array(0.0f);  // [hidden, patch, patch, channels]
  std::optional<mx::array> patch_bias_;
  std::optional<mx::array> class_embedding_;
  mx::array position_embedding_ = mx::array(0.0f);
  std::optional<Norm> pre_norm_, post_norm_;
  std::vector<Layer> layers_;
  // LLaVA projector
  Linear linear_1_, linear_2_;
  // Gemma 3 projector
  mx::array soft_norm_ = mx::array(0.0f);
  mx::array input_projection_ = mx::array(0.0f);
};

}  // namespace heylook
