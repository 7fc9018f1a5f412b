// SetComputeThreads caps OpenBLAS's pool as well as LibTorch's, so `--threads 1` ranks do not
// each start one BLAS thread per core.
#include "stages/train/compute_threads.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace snpflow {
namespace {

TEST(ComputeThreads, SetsLibTorchAndOpenBlasThreads) {
  // A matrix product first, so that LibTorch has loaded its BLAS.
  torch::Tensor a = torch::ones({64, 64});
  EXPECT_FLOAT_EQ(torch::mm(a, a)[0][0].item<float>(), 64.0f);
  void* openblas = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
  using GetThreads = int (*)();
  auto get = openblas != nullptr
                 ? reinterpret_cast<GetThreads>(dlsym(openblas, "openblas_get_num_threads"))
                 : nullptr;
  for (int threads : {1, 2}) {
    SetComputeThreads(threads);
    EXPECT_EQ(at::get_num_threads(), threads);
    if (get != nullptr) EXPECT_EQ(get(), threads);
  }
  if (get == nullptr)
    GTEST_SKIP() << "the BLAS is not OpenBLAS (scripts/install-deps.sh installs it)";
}

}  // namespace
}  // namespace snpflow
