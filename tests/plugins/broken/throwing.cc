// A plugin whose registration throws: the loader must report the exception's text as a
// PluginError, not crash. Used by tests/plugins/plugin_loader_test.cc.
#include <stdexcept>

#include "pipeline/plugin.h"

SNPFLOW_PLUGIN("throwing", "0.1", "registration always fails") {
  (void)registry;
  throw std::runtime_error("this plugin needs a GPU that is not there");
}
