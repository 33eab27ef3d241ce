// MLX's CPU backend hands every float32 matrix product to cblas_sgemm. The Linux mlx-cpu
// wheel links it to netlib's reference BLAS, which runs a 200-token prompt through a 768x3072
// weight in ~560 ms where OpenBLAS takes ~13 ms. Built with HEYLOOK_OPENBLAS (CMake does when
// it finds scipy-openblas32), this addon defines cblas_sgemm itself and forwards it to
// OpenBLAS. The dynamic linker resolves libmlx's cblas_sgemm in this addon before the
// wheel's libblas, because the addon is the object Node loads and libmlx is its dependency.
// HEYLOOK_MLX_BLAS=reference keeps the wheel's BLAS, for comparisons.
#include "blas.h"

#ifdef HEYLOOK_OPENBLAS

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace {

using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);

extern "C" {
// scipy-openblas32 prefixes its symbols with scipy_, so they never clash with another BLAS.
void scipy_cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                       const float* b, int ldb, float beta, float* c, int ldc);
int scipy_openblas_get_num_threads();
void scipy_openblas_set_num_threads(int threads);
char* scipy_openblas_get_config();
}

std::atomic<uint64_t> products{0};
// Threads asked for by set_blas_threads (0: OpenBLAS's own count), and what OpenBLAS was last set to.
std::atomic<int> wanted_threads{0};
std::atomic<int> applied_threads{0};

// OpenBLAS's own count (all cores unless OPENBLAS_NUM_THREADS says otherwise), read before any change.
int default_threads() {
  static const int threads = scipy_openblas_get_num_threads();
  return threads;
}

bool use_reference() {
  static const bool reference = [] {
    const char* choice = std::getenv("HEYLOOK_MLX_BLAS");
    return choice != nullptr && std::strcmp(choice, "reference") == 0;
  }();
  return reference;
}

// The next cblas_sgemm in the lookup order: the wheel's libblas.
Sgemm reference_sgemm() {
  static const Sgemm next = reinterpret_cast<Sgemm>(dlsym(RTLD_NEXT, "cblas_sgemm"));
  return next;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n,
                                                                  int k, float alpha, const float* a, int lda,
                                                                  const float* b, int ldb, float beta, float* c,
                                                                  int ldc) {
  products.fetch_add(1, std::memory_order_relaxed);
  // A new thread count is applied here, on the thread about to run a product, not on the JS thread.
  const int wanted = wanted_threads.load(std::memory_order_relaxed);
  if (wanted != applied_threads.load(std::memory_order_relaxed)) {
    default_threads();
    applied_threads.store(wanted, std::memory_order_relaxed);
    scipy_openblas_set_num_threads(wanted > 0 ? wanted : default_threads());
  }
  if (use_reference() && reference_sgemm() != nullptr) {
    reference_sgemm()(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    scipy_cblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

namespace heylook {

BlasInfo blas_info() {
  if (use_reference()) return {"reference (HEYLOOK_MLX_BLAS=reference)", 1, products.load()};
  return {scipy_openblas_get_config(), scipy_openblas_get_num_threads(), products.load()};
}

void set_blas_threads(int threads) { wanted_threads.store(threads > 0 ? threads : 0, std::memory_order_relaxed); }

}  // namespace heylook

#else

namespace heylook {

BlasInfo blas_info() { return {"MLX's own", 1, 0}; }

void set_blas_threads(int) {}

}  // namespace heylook

#endif
