// thin: an example snpflow plugin, written as a user would. It keeps every k-th record of the
// input (records 1, 1+k, 1+2k, ...) and drops the others with the skip reason "thin".
//
// Build against an installed snpflow (see README.md):
//   cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<snpflow prefix> && ninja -C build
#include <string>
#include <string_view>

#include "pipeline/error.h"
#include "pipeline/plugin.h"
#include "pipeline/registry.h"
#include "pipeline/stage.h"

namespace {

// Options are a plain struct with defaults in place; Declare() names each one once, and that
// declaration serves --thin.every on the command line, `[thin] every = 10` in configs and
// `snpflow stages`.
struct ThinOptions {
  static constexpr std::string_view kName = "thin";
  int every = 10;  // keep one record in `every`
  static void Declare(snpflow::OptionSet<ThinOptions>& o) {
    // Range() declares the valid values: Build() rejects others before the run starts, with a
    // message naming --thin.every and the range, and `snpflow stages -v` shows it.
    o.Add("every", &ThinOptions::every, "keep one record in this many (records 1, 1+k, ...)")
        .Range(1, 1000000000);
  }
};

class ThinStage : public snpflow::BlockStage {
 public:
  explicit ThinStage(const ThinOptions& options) : options_(options) {}

  // Once, before the first block: reject bad option values with the fix.
  void Init(const snpflow::RunContext&) override {
    if (options_.every < 1) {
      throw snpflow::ConfigError("--" + label() + ".every: " + std::to_string(options_.every) +
                                 " is not a positive integer; use 1 or more");
    }
  }

  // Called concurrently on different blocks: no mutable state, only the block. Using the
  // record number (not a running count) keeps the result the same for any thread count.
  void Process(snpflow::VariantBlock& block) const override {
    for (size_t i = 0; i < block.size(); ++i) {
      if ((block.variants[i].record - 1) % static_cast<uint64_t>(options_.every) != 0) {
        block.Drop(i, "thin");
      }
    }
  }

 private:
  ThinOptions options_;
};

}  // namespace

SNPFLOW_PLUGIN("thin", "1.0", "keep every k-th record (example plugin)") {
  registry.Add(
      snpflow::MakeStageInfo<ThinStage, ThinOptions>("keep every k-th record of the input"));
}
