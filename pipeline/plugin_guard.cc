#include "pipeline/plugin_guard_internal.h"

#include <exception>
#include <memory>
#include <new>
#include <utility>

#include "pipeline/error.h"

namespace snpflow {
namespace {

/// Run `f`; whatever it throws is rethrown naming `plugin`.
template <class F>
auto Guard(const std::string& plugin, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    RethrowFromPlugin(plugin);
  }
}

class GuardedBlockStage : public BlockStage {
 public:
  GuardedBlockStage(std::unique_ptr<BlockStage> inner, std::string plugin)
      : inner_(std::move(inner)), plugin_(std::move(plugin)) {
    set_label(inner_->label());
  }
  void Init(const RunContext& ctx) override {
    Guard(plugin_, [&] { inner_->Init(ctx); });
  }
  void Process(VariantBlock& block) const override {
    Guard(plugin_, [&] { inner_->Process(block); });
  }
  Concurrency concurrency() const override {
    return Guard(plugin_, [&] { return inner_->concurrency(); });
  }

 private:
  std::unique_ptr<BlockStage> inner_;
  std::string plugin_;
};

class GuardedBlockSink : public BlockSink {
 public:
  GuardedBlockSink(std::unique_ptr<BlockSink> inner, std::string plugin)
      : inner_(std::move(inner)), plugin_(std::move(plugin)) {
    set_label(inner_->label());
  }
  void Init(RunContext& ctx) override {
    Guard(plugin_, [&] { inner_->Init(ctx); });
  }
  bool ordered() const override {
    return Guard(plugin_, [&] { return inner_->ordered(); });
  }
  std::unique_ptr<LocalState> MakeLocalState() const override {
    return Guard(plugin_, [&] { return inner_->MakeLocalState(); });
  }
  void Sink(LocalState& local, const VariantBlock& block) const override {
    Guard(plugin_, [&] { inner_->Sink(local, block); });
  }
  void Combine(LocalState& local) override {
    Guard(plugin_, [&] { inner_->Combine(local); });
  }
  void Finalize(RunContext& ctx) override {
    Guard(plugin_, [&] { inner_->Finalize(ctx); });
  }

 private:
  std::unique_ptr<BlockSink> inner_;
  std::string plugin_;
};

class GuardedTrainer : public Trainer {
 public:
  GuardedTrainer(std::unique_ptr<Trainer> inner, std::string plugin)
      : inner_(std::move(inner)), plugin_(std::move(plugin)) {
    set_label(inner_->label());
  }
  FoldResult Train(const FoldInputs& fold) override {
    return Guard(plugin_, [&] { return inner_->Train(fold); });
  }

 private:
  std::unique_ptr<Trainer> inner_;
  std::string plugin_;
};

/// Wrap `stage` in the guard of its role (left as is if it is none of the three).
template <class Role, class Guarded>
bool WrapAs(std::unique_ptr<Stage>& stage, const std::string& plugin) {
  auto* typed = dynamic_cast<Role*>(stage.get());
  if (typed == nullptr) return false;
  stage.release();
  stage = std::make_unique<Guarded>(std::unique_ptr<Role>(typed), plugin);
  return true;
}

}  // namespace

void RethrowFromPlugin(const std::string& plugin) {
  const std::string at = plugin + ": ";
  try {
    throw;
  } catch (const ConfigError& e) {
    throw ConfigError(at + e.what());
  } catch (const InputError& e) {
    throw InputError(at + e.what());
  } catch (const FormatError& e) {
    throw FormatError(at + e.what());
  } catch (const PluginError& e) {
    throw PluginError(at + e.what());
  } catch (const Error& e) {
    throw Error(at + e.what());
  } catch (const std::bad_alloc&) {
    throw PluginError(at + "out of memory");
  } catch (const std::exception& e) {
    throw PluginError(at + e.what());
  } catch (...) {
    throw PluginError(at + "threw an exception that is not a std::exception");
  }
}

StageInfo GuardPluginStage(StageInfo info, const std::string& plugin) {
  auto inner = std::move(info.factory);
  info.factory = [inner = std::move(inner), plugin](const OptionValues& values,
                                                    const std::string& label) {
    std::unique_ptr<Stage> stage = Guard(plugin, [&] { return inner(values, label); });
    if (stage != nullptr && !WrapAs<BlockStage, GuardedBlockStage>(stage, plugin) &&
        !WrapAs<BlockSink, GuardedBlockSink>(stage, plugin))
      WrapAs<Trainer, GuardedTrainer>(stage, plugin);
    return stage;
  };
  return info;
}

}  // namespace snpflow
