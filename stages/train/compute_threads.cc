#include "stages/train/compute_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace snpflow {

namespace {

using SetThreads = void (*)(int);

// OpenBLAS's setter if OpenBLAS is already loaded (as libblas.so.3's dependency), else null.
// RTLD_NOLOAD: never load a BLAS that LibTorch does not use.
SetThreads FindOpenBlasSetter() {
  void* handle = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  return reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
}

}  // namespace

void SetComputeThreads(int threads) {
  at::set_num_threads(threads);
  static const SetThreads openblas = FindOpenBlasSetter();
  if (openblas != nullptr) openblas(threads);
}

}  // namespace snpflow
