#include "stages/register_builtin.h"

#include "stages/baseline_trainers.h"
#include "stages/export.h"

namespace snpflow {

void RegisterBuiltinStages(StageRegistry& registry) {
  RegisterDecodeGtStage(registry);
  RegisterFilterStage(registry);
  RegisterCountStage(registry);
  RegisterStoreStages(registry);
  RegisterExportStage(registry);
  RegisterBaselineTrainers(registry);
}

StageRegistry& DefaultRegistry() {
  static StageRegistry registry = [] {
    StageRegistry r;
    RegisterBuiltinStages(r);
    return r;
  }();
  return registry;
}

}  // namespace snpflow
