/* A plugin built for a future plugin ABI (999). Used by tests/plugins/plugin_loader_test.cc. */
#include <stddef.h>

#include "pipeline/plugin_abi.h"

static char* register_stages(snpflow_registry* registry) {
  (void)registry;
  return NULL;
}

const snpflow_plugin_info* snpflow_plugin_v1(void) {
  static const snpflow_plugin_info info = {999, "bad-abi", "0.1", "built for another ABI",
                                           register_stages};
  return &info;
}
