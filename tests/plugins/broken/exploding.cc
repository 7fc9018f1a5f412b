// A plugin whose stages throw: from the factory (constructor), Init, Process, a sink's Finalize
// and a trainer's Train, chosen by `--explode.at`. The errors must name the plugin and its file
// (pipeline/plugin_guard_internal.h). Used by tests/plugins/plugin_errors_test.cc.
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pipeline/plugin.h"

namespace {

struct ExplodeOptions {
  static constexpr std::string_view kName = "explode";
  std::string at = "none";  // factory, init, process, config-error, bad-alloc or none
  static void Declare(snpflow::OptionSet<ExplodeOptions>& o) {
    o.Add("at", &ExplodeOptions::at, "where to throw");
  }
};

class ExplodeStage : public snpflow::BlockStage {
 public:
  explicit ExplodeStage(const ExplodeOptions& o) : at_(o.at) {
    if (at_ == "factory") throw std::runtime_error("the constructor gave up");
    if (at_ == "config-error") throw snpflow::ConfigError("--explode.at: a plugin's own check");
  }
  void Init(const snpflow::RunContext&) override {
    if (at_ == "init") throw std::runtime_error("init found no GPU");
  }
  void Process(snpflow::VariantBlock& block) const override {
    if (at_ == "bad-alloc") throw std::bad_alloc();
    if (at_ == "process" && block.size() > 0)
      throw std::runtime_error("record " + std::to_string(block.variants[0].record) +
                               " is cursed");
  }

 private:
  std::string at_;
};

struct ExplodeSinkOptions {
  static constexpr std::string_view kName = "explode-sink";
  static void Declare(snpflow::OptionSet<ExplodeSinkOptions>&) {}
};

class ExplodeSink : public snpflow::BlockSink {
 public:
  explicit ExplodeSink(const ExplodeSinkOptions&) {}
  void Sink(LocalState&, const snpflow::VariantBlock&) const override {}
  void Finalize(snpflow::RunContext&) override { throw std::runtime_error("disk on fire"); }
};

struct ExplodeTrainerOptions {
  static constexpr std::string_view kName = "explode-trainer";
  static void Declare(snpflow::OptionSet<ExplodeTrainerOptions>&) {}
};

class ExplodeTrainer : public snpflow::Trainer {
 public:
  explicit ExplodeTrainer(const ExplodeTrainerOptions&) {}
  snpflow::FoldResult Train(const snpflow::FoldInputs& fold) override {
    throw std::runtime_error("fold " + std::to_string(fold.fold) + " diverged");
  }
};

}  // namespace

SNPFLOW_PLUGIN("exploding", "0.1", "stages that throw") {
  registry.Add(snpflow::MakeStageInfo<ExplodeStage, ExplodeOptions>("throws where told"));
  registry.Add(snpflow::MakeStageInfo<ExplodeSink, ExplodeSinkOptions>("throws in Finalize"));
  registry.Add(
      snpflow::MakeStageInfo<ExplodeTrainer, ExplodeTrainerOptions>("throws in Train"));
}
