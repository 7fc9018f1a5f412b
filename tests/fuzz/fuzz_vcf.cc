// libFuzzer target: VCF / VCF.gz / BCF bytes through io::VcfSource and the decode-gt and
// filter stages.
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
  return snpflow::fuzz::FuzzOneInput(&snpflow::fuzz::RunVcf, data, size);
}
