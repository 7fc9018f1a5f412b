// A plugin whose hand-written C entry point (not SNPFLOW_PLUGIN) throws a C++ exception: the
// loader must report it naming the file, not terminate. Used by plugin_errors_test.cc.
#include <stdexcept>

#include "pipeline/plugin_abi.h"

extern "C" __attribute__((visibility("default"))) const snpflow_plugin_info* snpflow_plugin_v1(
    void) {
  throw std::runtime_error("cannot find my settings file");
}
