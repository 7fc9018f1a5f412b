#pragma once
/// The C++ side of a snpflow plugin. A plugin is written exactly like a built-in stage (same
/// headers, same `Register*` function) plus one line that defines the entry point:
///
///   #include "pipeline/plugin.h"
///
///   SNPFLOW_PLUGIN("thin", "1.0", "keep every k-th variant") {
///     registry.Add(snpflow::MakeStageInfo<ThinStage, ThinOptions>("keep every k-th variant"));
///   }
///
/// The macro defines the exported C symbol `snpflow_plugin_v1` (pipeline/plugin_abi.h), fills in
/// the plugin info, and runs the braced body with `snpflow::StageRegistry& registry` in scope.
/// Any exception the body throws is turned into the error string of the C ABI, so nothing throws
/// across `extern "C"`; the loader rethrows it as a PluginError naming the plugin file.
#include <cstdlib>
#include <cstring>
#include <exception>

#include "pipeline/plugin_abi.h"
#include "pipeline/registry.h"

namespace snpflow {

/// Return the registry behind the opaque C handle. Valid only during register_stages.
inline StageRegistry& RegistryFromC(snpflow_registry* registry) {
  return *reinterpret_cast<StageRegistry*>(registry);
}

/// Return the opaque C handle of `registry` (the loader passes it to register_stages).
inline snpflow_registry* RegistryToC(StageRegistry& registry) {
  return reinterpret_cast<snpflow_registry*>(&registry);
}

namespace plugin_detail {

/// Return a malloc()ed copy of `text` (the C ABI's error string), or nullptr if out of memory.
inline char* MallocString(const char* text) {
  size_t n = std::strlen(text);
  char* copy = static_cast<char*>(std::malloc(n + 1));
  if (copy != nullptr) std::memcpy(copy, text, n + 1);
  return copy;
}

/// Run `body(registry)`; return nullptr, or the malloc()ed message of what it threw.
inline char* RegisterNoThrow(snpflow_registry* registry, void (*body)(StageRegistry&)) noexcept {
  try {
    body(RegistryFromC(registry));
    return nullptr;
  } catch (const std::exception& e) {
    return MallocString(e.what());
  } catch (...) {
    return MallocString("an exception that is not a std::exception");
  }
}

}  // namespace plugin_detail
}  // namespace snpflow

/// Mark the entry point exported even when a plugin builds with -fvisibility=hidden.
#define SNPFLOW_PLUGIN_EXPORT __attribute__((visibility("default")))

/// Define the plugin entry point. NAME, VERSION and ABOUT are string literals; the braced body
/// that follows registers the stages into `snpflow::StageRegistry& registry`. Use once per plugin.
#define SNPFLOW_PLUGIN(NAME, VERSION, ABOUT)                                                   \
  static void SnpflowPluginRegisterStages(::snpflow::StageRegistry& registry);                 \
  extern "C" {                                                                                 \
  static char* snpflow_plugin_register_stages(snpflow_registry* registry) {                    \
    return ::snpflow::plugin_detail::RegisterNoThrow(registry, &SnpflowPluginRegisterStages);  \
  }                                                                                            \
  SNPFLOW_PLUGIN_EXPORT const snpflow_plugin_info* snpflow_plugin_v1(void) {                   \
    static const snpflow_plugin_info info = {SNPFLOW_PLUGIN_ABI_VERSION, NAME, VERSION, ABOUT, \
                                             &snpflow_plugin_register_stages};                 \
    return &info;                                                                              \
  }                                                                                            \
  }                                                                                            \
  static void SnpflowPluginRegisterStages(::snpflow::StageRegistry& registry)
