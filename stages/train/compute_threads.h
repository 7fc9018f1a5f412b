#pragma once
/// One place that sets how many threads training and prediction compute with.

namespace snpflow {

/// Set LibTorch's intra-op threads to `threads` and, when the BLAS that Debian's LibTorch calls
/// (libblas.so.3) is OpenBLAS, OpenBLAS's own thread pool too: OpenBLAS otherwise starts one
/// thread per core whatever --threads says, and `--threads 1` ranks then compete for the cores
/// (bench/dist_bench.sh measured 49 instead of 28 CPU seconds for one process).
void SetComputeThreads(int threads);

}  // namespace snpflow
