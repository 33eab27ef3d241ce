#include <napi.h>

#include "blas.h"
#include "mlx/device.h"
#include "mlx/version.h"
#include "mlx_model.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("MlxModel", heylook::MlxModel::Define(env));
  exports.Set("mlxVersion", Napi::String::New(env, mlx::core::version()));
  // Where MLX computes: "cpu" (the Linux wheel) or "gpu" (Metal).
  exports.Set("device", Napi::String::New(env, mlx::core::default_device() == mlx::core::Device::cpu ? "cpu" : "gpu"));
  exports.Set("blas", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    const heylook::BlasInfo blas = heylook::blas_info();
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("library", blas.library);
    result.Set("threads", blas.threads);
    result.Set("products", static_cast<double>(blas.products));
    return result;
  }));
  exports.Set("setBlasThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setBlasThreads(threads: number), 0 for OpenBLAS's own count");
    heylook::set_blas_threads(info[0].As<Napi::Number>().Int32Value());
  }));
  return exports;
}

}  // namespace

NODE_API_MODULE(heylook_mlx, Init)
