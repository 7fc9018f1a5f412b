#include "pipeline/plugin_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "pipeline/error.h"
#include "pipeline/plugin.h"
#include "pipeline/plugin_guard_internal.h"

namespace snpflow {
namespace {

/// A library opened by dlopen, kept open until the process exits.
struct OpenPlugin {
  const snpflow_plugin_info* info = nullptr;
  LoadedPlugin record;
  bool registered_once = false;
};

/// The process-wide table of opened plugins, keyed by realpath. dlopen handles are per process,
/// so this is the one piece of global state the loader needs.
struct PluginTable {
  std::mutex mu;
  std::map<std::string, OpenPlugin> by_path;
  std::vector<std::string> order;
};

PluginTable& Table() {
  static PluginTable table;
  return table;
}

/// Restores the registry's origin when registration ends, even by an exception.
class OriginGuard {
 public:
  OriginGuard(StageRegistry& registry, std::string origin)
      : registry_(registry), saved_(registry.origin()) {
    registry_.set_origin(std::move(origin));
  }
  ~OriginGuard() { registry_.set_origin(saved_); }

 private:
  StageRegistry& registry_;
  std::string saved_;
};

bool HasElfMagic(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char magic[4] = {0, 0, 0, 0};
  size_t n = std::fread(magic, 1, sizeof(magic), f);
  std::fclose(f);
  return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

constexpr const char* kUseMacro =
    "define its entry point with SNPFLOW_PLUGIN(...) from pipeline/plugin.h";

std::string LastDlError() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dlopen error";
}

/// Open `real` (a canonical path) and check its entry point; `shown` is the path the user gave.
const snpflow_plugin_info* OpenAndCheck(const std::string& real, const std::string& shown) {
  dlerror();  // clear any stale error
  void* handle = dlopen(real.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::string why = LastDlError();
    if (!HasElfMagic(real)) {
      throw PluginError("cannot load plugin " + shown + ": not a shared library (" + why +
                        "); pass a .so built with snpflow_add_plugin()");
    }
    throw PluginError("cannot load plugin " + shown + ": " + why +
                      "; check its dependencies with 'ldd " + shown +
                      "' and that it was built against this snpflow");
  }
  dlerror();
  void* symbol = dlsym(handle, SNPFLOW_PLUGIN_SYMBOL);
  if (symbol == nullptr) {
    dlclose(handle);  // nothing from it was used
    throw PluginError(shown + " is not a snpflow plugin: it does not export " +
                      SNPFLOW_PLUGIN_SYMBOL + "; " + kUseMacro);
  }
  auto entry = reinterpret_cast<snpflow_plugin_entry_fn>(symbol);
  const snpflow_plugin_info* info = nullptr;
  try {
    info = entry();  // C, but a hand-written entry point may still throw C++
  } catch (...) {
    RethrowFromPlugin("plugin " + shown + ": " + SNPFLOW_PLUGIN_SYMBOL + "()");
  }
  if (info == nullptr) {
    dlclose(handle);
    throw PluginError("plugin " + shown + ": " + SNPFLOW_PLUGIN_SYMBOL + "() returned NULL; " +
                      kUseMacro);
  }
  if (info->abi_version != SNPFLOW_PLUGIN_ABI_VERSION) {
    uint32_t abi = info->abi_version;
    dlclose(handle);
    throw PluginError("plugin " + shown + " was built for plugin ABI " + std::to_string(abi) +
                      ", this snpflow has " + std::to_string(SNPFLOW_PLUGIN_ABI_VERSION) +
                      "; rebuild the plugin against this snpflow");
  }
  if (info->register_stages == nullptr) {
    dlclose(handle);
    throw PluginError("plugin " + shown + " has no register_stages function; " + kUseMacro);
  }
  return info;  // the handle stays open for the life of the process
}

std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }

}  // namespace

LoadedPlugin LoadPlugin(StageRegistry& registry, const std::string& path, PluginErrors errors) {
  struct stat st;
  const std::string check =
      std::string("check the --plugin path, the config's 'plugins =' list or ") + kPluginPathEnv;
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    throw PluginError("plugin not found: " + path + " (no such file); " + check);
  }
  if (S_ISDIR(st.st_mode)) {
    throw PluginError("cannot load plugin " + path + ": it is a directory; pass a .so file, or " +
                      "add the directory to " + kPluginPathEnv);
  }
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    throw PluginError("plugin not found: " + path + " (" + std::strerror(errno) + "); " + check);
  }
  const std::string real = resolved;

  PluginTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mu);
  auto it = table.by_path.find(real);
  if (it == table.by_path.end()) {
    OpenPlugin open;
    open.info = OpenAndCheck(real, path);
    open.record.name = OrEmpty(open.info->name);
    open.record.version = OrEmpty(open.info->version);
    open.record.about = OrEmpty(open.info->about);
    open.record.path = real;
    it = table.by_path.emplace(real, std::move(open)).first;
    table.order.push_back(real);
  }
  OpenPlugin& plugin = it->second;

  // Register into a scratch registry first, so a plugin that fails halfway or clashes adds
  // nothing to `registry`.
  StageRegistry scratch;
  scratch.set_origin(real);
  char* error = nullptr;
  try {
    error = plugin.info->register_stages(RegistryToC(scratch));
  } catch (...) {  // a register_stages not made by SNPFLOW_PLUGIN may throw
    RethrowFromPlugin("plugin " + path + " (" + plugin.record.name + " " + plugin.record.version +
                      ") failed to register its stages");
  }
  if (error != nullptr) {
    std::string text = error;
    std::free(error);
    throw PluginError("plugin " + path + " (" + plugin.record.name + " " + plugin.record.version +
                      ") failed to register its stages: " + text +
                      "; fix the plugin or stop loading it");
  }
  std::vector<const StageInfo*> fresh;
  for (const StageInfo* info : scratch.List()) {
    if (registry.Has(info->name) && registry.Get(info->name).origin == real) continue;  // loaded
    fresh.push_back(info);
  }
  {
    OriginGuard guard(registry, real);
    for (const StageInfo* info : fresh) {
      if (registry.Has(info->name)) registry.Add(*info);  // throws, naming both origins
    }
    const std::string who = "plugin '" + plugin.record.name + "' (" + real + ")";
    for (const StageInfo* info : fresh)
      registry.Add(errors == PluginErrors::kNamePlugin ? GuardPluginStage(*info, who) : *info);
  }
  if (!plugin.registered_once) {
    for (const StageInfo* info : scratch.List()) plugin.record.stages.push_back(info->name);
    plugin.registered_once = true;
  }
  return plugin.record;
}

std::vector<LoadedPlugin> LoadPluginDirs(StageRegistry& registry, const char* dirs) {
  std::vector<LoadedPlugin> loaded;
  if (dirs == nullptr) return loaded;
  std::string list = dirs;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(start, end - start);
    start = end + 1;
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) loaded.push_back(LoadPlugin(registry, file));
  }
  return loaded;
}

std::vector<LoadedPlugin> LoadPlugins(StageRegistry& registry,
                                      const std::vector<std::string>& paths, const char* dirs) {
  std::vector<LoadedPlugin> loaded;
  for (const std::string& path : paths) loaded.push_back(LoadPlugin(registry, path));
  for (LoadedPlugin& p : LoadPluginDirs(registry, dirs)) loaded.push_back(std::move(p));
  return loaded;
}

std::vector<LoadedPlugin> LoadedPlugins() {
  PluginTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mu);
  std::vector<LoadedPlugin> out;
  for (const std::string& path : table.order) {
    const OpenPlugin& plugin = table.by_path.at(path);
    if (plugin.registered_once) out.push_back(plugin.record);
  }
  return out;
}

}  // namespace snpflow
