#pragma once

#include <vector>

#include <napi.h>

#include "mlx/mlx.h"

// Reading JS arguments and writing results, shared by the MlxModel source files.
namespace heylook {

namespace mx = mlx::core;

inline int intField(const Napi::Object& object, const char* name, int fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Int32Value() : fallback;
}

inline float floatField(const Napi::Object& object, const char* name, float fallback) {
  Napi::Value value = object.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().FloatValue() : fallback;
}

inline std::vector<int> tokensOf(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(value.Env(), "tokens must be an Int32Array");
  }
  auto array = value.As<Napi::Int32Array>();
  return std::vector<int>(array.Data(), array.Data() + array.ElementLength());
}

inline std::vector<float> toVector(const mx::array& array) {
  mx::array flat = mx::astype(mx::reshape(array, {-1}), mx::float32);
  mx::eval(flat);
  const float* data = flat.data<float>();
  return std::vector<float>(data, data + flat.size());
}

}  // namespace heylook
