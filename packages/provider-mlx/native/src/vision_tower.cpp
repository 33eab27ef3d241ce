#include "vision_tower.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace heylook {

namespace {

bool starts_with(const std::string& name, const std::string& prefix) { return name.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/**
 * The tower's and projector's tensors under one naming: older Transformers and mlx-vlm write
 * `vision_tower.…` and `multi_modal_projector.…`, Transformers ≥ 4.52 puts both under `model.`.
 */
Weights vision_weights(const std::string& dir) {
  Weights weights;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".safetensors") continue;
    auto [loaded, metadata] = mx::load_safetensors(entry.path().string());
    for (auto& [name, value] : loaded) {
      const std::string bare = starts_with(name, "model.vision_tower.") || starts_with(name, "model.multi_modal_projector.") ? name.substr(6) : name;
      if (!starts_with(bare, "vision_tower.") && !starts_with(bare, "multi_modal_projector.")) continue;
      if (ends_with(bare, ".scales")) {
        throw std::runtime_error("the vision tower of " + dir + " is quantized (" + bare +
                                 "); convert the model keeping the vision tower in float");
      }
      weights.insert_or_assign(bare, value);
    }
  }
  return weights;
}

mx::array layer_norm(const mx::array& x, const mx::array& weight, const mx::array& bias, float eps) {
  return mx::fast::layer_norm(x, weight, bias, eps);
}

}  // namespace

VisionTower::VisionTower(const std::string& dir, const VisionConfig& config, int text_hidden) : config_(config), text_hidden_(text_hidden) {
  if (config_.family != "llava" && config_.family != "gemma3") throw std::runtime_error("unknown vision family " + config_.family);
  if (config_.patch_size <= 0 || config_.image_size % config_.patch_size != 0) {
    throw std::runtime_error("vision_config: image_size must be a multiple of patch_size");
  }
  Weights weights = vision_weights(dir);
  const std::string root = "vision_tower.vision_model.";
  mx::array patch = take_required(weights, root + "embeddings.patch_embedding.weight");
  // PyTorch stores [out, channels, kh, kw], MLX [out, kh, kw, channels]: mlx-vlm's test of which it is.
  const bool mlx_layout = patch.ndim() == 4 && patch.shape(0) >= patch.shape(1) && patch.shape(0) >= patch.shape(2) && patch.shape(1) == patch.shape(2);
  patch_weight_ = mlx_layout ? patch : mx::transpose(patch, {0, 2, 3, 1});
  patch_bias_ = take_optional(weights, root + "embeddings.patch_embedding.bias");
  if (clip()) class_embedding_ = take_required(weights, root + "embeddings.class_embedding");
  position_embedding_ = take_required(weights, root + "embeddings.position_embedding.weight");
  if (clip()) pre_norm_ = Norm{take_required(weights, root + "pre_layrnorm.weight"), take_required(weights, root + "pre_layrnorm.bias")};

  // LLaVA reads an earlier layer's output: the layers after it are never run, so not loaded.
  int count = config_.num_hidden_layers;
  if (clip()) count = config_.feature_layer >= 0 ? config_.feature_layer : config_.num_hidden_layers + 1 + config_.feature_layer;
  if (count < 0 || count > config_.num_hidden_layers) throw std::runtime_error("vision_feature_layer is out of range");
  for (int index = 0; index < count; ++index) {
    const std::string prefix = root + "encoder.layers." + std::to_string(index) + ".";
    Layer layer;
    layer.q = Linear(weights, prefix + "self_attn.q_proj", 0, 0);
    layer.k = Linear(weights, prefix + "self_attn.k_proj", 0, 0);
    layer.v = Linear(weights, prefix + "self_attn.v_proj", 0, 0);
    layer.out = Linear(weights, prefix + "self_attn.out_proj", 0, 0);
    layer.fc1 = Linear(weights, prefix + "mlp.fc1", 0, 0);
    layer.fc2 = Linear(weights, prefix + "mlp.fc2", 0, 0);
    layer.norm1_weight = take_required(weights, prefix + "layer_norm1.weight");
    layer.norm1_bias = take_required(weights, prefix + "layer_norm1.bias");
    layer.norm2_weight = take_required(weights, prefix + "layer_norm2.weight");
    layer.norm2_bias = take_required(weights, prefix + "layer_norm2.bias");
    layers_.push_back(std::move(layer));
  }
  if (clip()) {
    linear_1_ = Linear(weights, "multi_modal_projector.linear_1", 0, 0);
    linear_2_ = Linear(weights, "multi_modal_projector.linear_2", 0, 0);
  } else {
    post_norm_ = Norm{take_required(weights, root + "post_layernorm.weight"), take_required(weights, root + "post_layernorm.bias")};
    const int side = config_.image_size / config_.patch_size;
    const int pooled = static_cast<int>(std::lround(std::sqrt(static_cast<double>(config_.tokens_per_image))));
    if (pooled <= 0 || pooled * pooled != config_.tokens_per_image || side % pooled != 0) {
      throw std::runtime_error("mm_tokens_per_image must be a square whose side divides image_size / patch_size");
    }
    soft_norm_ = mx::add(take_required(weights, "multi_modal_projector.mm_soft_emb_norm.weight"), mx::array(1.0f));
    input_projection_ = take_required(weights, "multi_modal_projector.mm_input_projection_weight");
  }
  mx::eval(parameters());
}

std::vector<mx::array> VisionTower::parameters() const {
  std::vector<mx::array> all{patch_weight_, position_embedding_};
  for (const auto* optional : {&patch_bias_, &class_embedding_}) {
    if (*optional) all.push_back(**optional);
  }
  for (const auto* norm : {&pre_norm_, &post_norm_}) {
    if (*norm) {
      all.push_back((*norm)->weight);
      all.push_back((*norm)->bias);
    }
  }
  for (const auto& layer : layers_) {
    for (const auto* array : {&layer.norm1_weight, &layer.norm1_bias, &layer.norm2_weight, &layer.norm2_bias}) all.push_back(*array);
  }
  if (!clip()) {
    all.push_back(soft_norm_);
    all.push_back(input_projection_);
  }
  return all;
}

int VisionTower::tokens_per_image() const {
  if (!clip()) return config_.tokens_per_image;
  const int side = config_.image_size / config_.patch_size;
  return side * side + (config_.keep_class_token ? 1 : 0);
}

mx::array VisionTower::block(const Layer& layer, const mx::array& x) const {
  const int length = x.shape(1);
  const int heads = config_.num_attention_heads;
  const int head_dim = config_.hidden_size / heads;
  mx::array h = layer_norm(x, layer.norm1_weight, layer.norm1_bias, config_.layer_norm_eps);
  auto split = [&](const mx::array& y) { return mx::transpose(mx::reshape(y, {1, length, heads, head_dim}), {0, 2, 1, 3}); };
  mx::array attention = mx::fast::scaled_dot_product_attention(split(layer.q(h)), split(layer.k(h)), split(layer.v(h)),
                                                               1.0f / std::sqrt(static_cast<float>(head_dim)), "");
  attention = mx::reshape(mx::transpose(attention, {0, 2, 1, 3}), {1, length, config_.hidden_size});
  mx::array residual = mx::add(x, layer.out(attention));
  mx::array m = layer.fc1(layer_norm(residual, layer.norm2_weight, layer.norm2_bias, config_.layer_norm_eps));
  if (clip()) {
    m = mx::multiply(m, mx::sigmoid(mx::multiply(mx::array(1.702f, m.dtype()), m)));  // quick GELU
  } else {
    // GELU, tanh approximation (SigLIP's gelu_pytorch_tanh; mlx-vlm's GELU(approx="precise")).
    const mx::Dtype type = m.dtype();
    mx::array inner = mx::multiply(mx::array(std::sqrt(2.0f / static_cast<float>(M_PI)), type),
                                   mx::add(m, mx::multiply(mx::array(0.044715f, type), mx::power(m, mx::array(3.0f, type)))));
    m = mx::multiply(mx::multiply(mx::array(0.5f, type), m), mx::add(mx::array(1.0f, type), mx::tanh(inner)));
  }
  return mx::add(residual, layer.fc2(m));
}

mx::array VisionTower::project(const mx::array& features) const {
  if (clip()) {
    mx::array h = linear_1_(features);
    h = mx::multiply(mx::multiply(mx::array(0.5f, h.dtype()), h),
                     mx::add(mx::array(1.0f, h.dtype()), mx::erf(mx::multiply(h, mx::array(static_cast<float>(M_SQRT1_2), h.dtype())))));
    return linear_2_(h);
  }
  // Average-pool the patch grid down to mm_tokens_per_image tokens, then norm and project.
  const int side = config_.image_size / config_.patch_size;
  const int pooled = static_cast<int>(std::lround(std::sqrt(static_cast<double>(config_.tokens_per_image))));
  const int kernel = side / pooled;
  const int hidden = config_.hidden_size;
  mx::array grid = mx::reshape(features, {pooled, kernel, pooled, kernel, hidden});
  mx::array pooled_rows = mx::reshape(mx::mean(grid, std::vector<int>{1, 3}), {pooled * pooled, hidden});
  mx::array normed = mx::fast::rms_norm(pooled_rows, mx::astype(soft_norm_, pooled_rows.dtype()), config_.layer_norm_eps);
  return mx::matmul(normed, mx::astype(input_projection_, normed.dtype()));
}

mx::array VisionTower::encode(const mx::array& pixels) const {
  const int channels = config_.num_channels;
  const int size = config_.image_size;
  if (pixels.ndim() != 4 || pixels.shape(0) != 1 || pixels.shape(1) != channels || pixels.shape(2) != size || pixels.shape(3) != size) {
    throw std::runtime_error("encodeImage expects pixels of shape [1, " + std::to_string(channels) + ", " + std::to_string(size) + ", " +
                             std::to_string(size) + "] for this model");
  }
  const mx::Dtype type = patch_weight_.dtype();
  mx::array image = mx::astype(mx::transpose(pixels, {0, 2, 3, 1}), type);
  mx::array x = mx::conv2d(image, patch_weight_, {config_.patch_size, config_.patch_size});
  if (patch_bias_) x = mx::add(x, *patch_bias_);
  x = mx::reshape(x, {1, -1, config_.hidden_size});
  if (class_embedding_) x = mx::concatenate({mx::reshape(*class_embedding_, {1, 1, config_.hidden_size}), x}, 1);
  if (x.shape(1) != position_embedding_.shape(0)) throw std::runtime_error("the vision tower's position embeddings do not match image_size / patch_size");
  x = mx::add(x, mx::expand_dims(position_embedding_, 0));
  // mlx-vlm's pre- and post-layernorm use MLX's default epsilon, 1e-5.
  if (pre_norm_) x = layer_norm(x, pre_norm_->weight, pre_norm_->bias, 1e-5f);
  for (const auto& layer : layers_) x = block(layer, x);
  if (post_norm_) x = layer_norm(x, post_norm_->weight, post_norm_->bias, 1e-5f);
  mx::array features = mx::reshape(x, {x.shape(1), config_.hidden_size});
  if (clip() && !config_.keep_class_token) features = mx::slice(features, {1, 0}, {features.shape(0), config_.hidden_size});
  mx::array rows = project(features);
  if (rows.shape(1) != text_hidden_) throw std::runtime_error("the projector's output size is not the language model's hidden size");
  return rows;
}

}  // namespace heylook
