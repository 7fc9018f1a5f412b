#include "stages/register_builtin.h"

namespace snpflow {

void RegisterBuiltinStages(StageRegistry& registry) {
  (void)registry;
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
