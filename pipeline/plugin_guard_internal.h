#pragma once
/// Errors from plugin code name the plugin. The loader wraps the factory of every stage a plugin
/// registers: the factory itself and each call into the stages it makes (Init, Process, Sink,
/// Combine, Finalize, Train, ...) rethrow what they throw as
///   plugin 'NAME' (PATH): <what>
/// keeping snpflow's error class (a ConfigError stays a usage error); anything else becomes a
/// PluginError. A plugin that crashes (segfault) still takes the process down: plugins run
/// in-process by design (docs/plugins.md).
#include <string>

#include "pipeline/registry.h"

namespace snpflow {

/// Return `info` with its factory wrapped as above; `plugin` is "plugin 'NAME' (PATH)".
StageInfo GuardPluginStage(StageInfo info, const std::string& plugin);

/// Rethrow the exception being handled with `plugin` in front of its message, as described
/// above. Call only from inside a catch block.
[[noreturn]] void RethrowFromPlugin(const std::string& plugin);

}  // namespace snpflow
