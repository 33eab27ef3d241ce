#pragma once

#include <cstdint>
#include <string>

namespace heylook {

struct BlasInfo {
  // OpenBLAS's configuration ("OpenBLAS 0.3.34 ... SkylakeX ...") when the addon was built
  // with HEYLOOK_OPENBLAS, else "MLX's own".
  std::string library;
  // OpenBLAS's threads per product: all cores unless OPENBLAS_NUM_THREADS says otherwise.
  int threads;
  // Float32 matrix products MLX handed to the addon's cblas_sgemm (0 without HEYLOOK_OPENBLAS).
  uint64_t products;
};

// Which BLAS runs MLX's float32 matrix products on the CPU.
BlasInfo blas_info();

// Threads for the next products (0: OpenBLAS's own count); applied when the next product starts.
// Nothing without HEYLOOK_OPENBLAS (MLX's own BLAS sizes itself).
void set_blas_threads(int threads);

}  // namespace heylook
