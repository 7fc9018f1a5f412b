#pragma once
/// The registry of stage factories: built-ins register in stages/register_builtin.cc, plugins when
/// loaded. Each run has one registry, passed by reference.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/options.h"
#include "pipeline/stage.h"
#include "pipeline/trainer.h"

namespace snpflow {

enum class StageRole { kBlock, kSink, kTrainer };
const char* StageRoleName(StageRole role);

/// A stage factory and its documentation.
struct StageInfo {
  std::string name;    // kebab-case, as in configs ("hwe-filter")
  std::string help;    // one line
  StageRole role = StageRole::kBlock;
  std::vector<OptionDecl> options;
  std::string origin;  // "built-in" or the plugin's .so path; set by the registry
  /// Build an instance from option values; throws ConfigError on bad values.
  std::function<std::unique_ptr<Stage>(const OptionValues& values, const std::string& label)>
      factory;
};

/// Return the StageInfo of stage class S (constructed from `const O&`) with options struct O
/// (which has `static constexpr std::string_view kName` and `static void Declare(OptionSet<O>&)`).
template <class S, class O>
StageInfo MakeStageInfo(std::string help) {
  static_assert(std::is_base_of_v<Stage, S>, "a stage derives from BlockStage, BlockSink or Trainer");
  auto set = std::make_shared<OptionSet<O>>();
  O::Declare(*set);
  StageInfo info;
  info.name = std::string(O::kName);
  info.help = std::move(help);
  if constexpr (std::is_base_of_v<BlockStage, S>) info.role = StageRole::kBlock;
  else if constexpr (std::is_base_of_v<BlockSink, S>) info.role = StageRole::kSink;
  else info.role = StageRole::kTrainer;
  info.options = set->decls();
  info.factory = [set](const OptionValues& values, const std::string& label) {
    std::unique_ptr<Stage> stage = std::make_unique<S>(set->Build(values, label + "."));
    stage->set_label(label);
    return stage;
  };
  return info;
}

class StageRegistry {
 public:
  /// Add a stage. Throws PluginError when the name is taken, naming both origins.
  void Add(StageInfo info);
  /// Return the stage `name`; throws ConfigError listing the known names when there is none.
  const StageInfo& Get(const std::string& name) const;
  bool Has(const std::string& name) const { return stages_.count(name) != 0; }
  /// All stages, sorted by name.
  std::vector<const StageInfo*> List() const;
  /// Origin recorded for stages added from now on ("built-in" by default).
  void set_origin(std::string origin) { origin_ = std::move(origin); }
  const std::string& origin() const { return origin_; }

  /// Build stage `name` as a `T` (BlockStage, BlockSink or Trainer); ConfigError if it is another
  /// kind of stage.
  template <class T>
  std::unique_ptr<T> Make(const std::string& name, const OptionValues& values,
                          const std::string& label) const {
    std::unique_ptr<Stage> stage = Get(name).factory(values, label);
    auto* typed = dynamic_cast<T*>(stage.get());
    if (typed == nullptr) ThrowWrongRole(name, label);
    stage.release();
    return std::unique_ptr<T>(typed);
  }

 private:
  [[noreturn]] void ThrowWrongRole(const std::string& name, const std::string& label) const;
  std::map<std::string, StageInfo> stages_;
  std::string origin_ = "built-in";
};

/// The registry of built-in stages used by `main` (the only global; tests make their own).
StageRegistry& DefaultRegistry();

}  // namespace snpflow
