// libFuzzer target: .npy / .npy.zst bytes through io::ReadNpy (zstd is detected by its magic).
// Build and run: `make fuzz` (tests/fuzz/README.md). Any crash, sanitizer report or exception
// other than snpflow::Error is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipeline/error.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

/// A private scratch directory for the input file, made once per process.
const std::string& Scratch() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/snpflow-fuzz-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    return templ;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  snpflow::fuzz::QuietHtslib();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    snpflow::fuzz::RunNpy(data, size, Scratch(), /*zstd=*/false);
  } catch (const snpflow::Error&) {
    // A clear error is the right answer to a bad input.
  }
  return 0;
}
