// libFuzzer target: .npy / .npy.zst bytes through io::ReadNpy (zstd is detected by its magic).
// Build and run: `make fuzz` (tests/fuzz/README.md). Any crash, sanitizer report or exception
// other than snpflow::Error is a finding; the shared set-up is in fuzz_targets.cc.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  snpflow::fuzz::QuietHtslib();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // ReadNpy tells .npy.zst by its magic, so one file name serves both seeds' kinds.
  return snpflow::fuzz::FuzzOneInput(
      [](const uint8_t* bytes, size_t n, const std::string& dir) {
        return snpflow::fuzz::RunNpy(bytes, n, dir, /*zstd=*/false);
      },
      data, size);
}
