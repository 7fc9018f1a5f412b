// `snpflow stages`: list built-in and plugin stages, where each came from, and (with -v) their
// options with type, default, range and help, like `bcftools plugin -lv`.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "pipeline/error.h"
#include "pipeline/plugin_loader.h"
#include "pipeline/registry.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: snpflow stages [--plugin PATH.so ...] [-v] [STAGE ...]\n\n"
    "List the built-in stages and those of plugins (from --plugin and every .so in the\n"
    "directories of $SNPFLOW_PLUGIN_PATH): role, origin and help; with -v (or STAGE names) also\n"
    "each option as --<stage>.<option>, with its type, default and help.\n";

void PrintStage(std::ostringstream& out, const StageInfo& info, bool verbose) {
  if (!verbose) {
    char line[512];
    std::snprintf(line, sizeof(line), "  %-20s %-8s %s\n", info.name.c_str(),
                  StageRoleName(info.role), info.help.c_str());
    out << line;
    return;
  }
  out << info.name << "  (" << StageRoleName(info.role) << " stage, " << info.origin << ")\n";
  out << "    " << info.help << "\n";
  if (info.options.empty()) out << "    (no options)\n";
  size_t width = 0;
  for (const OptionDecl& o : info.options) {
    width = std::max(width, info.name.size() + o.name.size() + 3);
  }
  for (const OptionDecl& o : info.options) {
    std::string flag = "--" + info.name + "." + o.name;
    flag.resize(width, ' ');
    char type[16];
    std::snprintf(type, sizeof(type), "%-6s", OptionTypeName(o.type));
    out << "    " << flag << "  " << type << "  " << o.help
        << " [default: " << (o.default_value.empty() ? "\"\"" : o.default_value);
    if (o.range.is_set()) out << "; range: " << o.range.ToString();
    out << "]\n";
  }
  out << "\n";
}

}  // namespace

int StagesCommand(const Args& args) {
  std::vector<std::string> plugins;
  std::vector<std::string> names;
  bool verbose = false;
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("help,h", "print this help")
      ("plugin", po::value(&plugins)->composing(),
       "load the plugin PATH.so first (repeatable); $SNPFLOW_PLUGIN_PATH dirs are loaded after")
      ("verbose,v", po::bool_switch(&verbose), "also list each stage's options");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("stage", po::value(&names)->composing(), "stage names to show");
  po::positional_options_description positional;
  positional.add("stage", -1);
  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm, &hidden, &positional)) return 0;

  StageRegistry& registry = DefaultRegistry();
  LoadPlugins(registry, plugins);

  std::ostringstream out;
  if (!names.empty()) {
    for (const std::string& name : names) PrintStage(out, registry.Get(name), /*verbose=*/true);
    std::fputs(out.str().c_str(), stdout);
    return 0;
  }
  std::vector<std::string> origins;  // built-in first, then plugins in load order
  origins.push_back("built-in");
  for (const LoadedPlugin& p : LoadedPlugins()) origins.push_back(p.path);
  for (const StageInfo* info : registry.List()) {
    if (std::find(origins.begin(), origins.end(), info->origin) == origins.end()) {
      origins.push_back(info->origin);
    }
  }
  const std::vector<LoadedPlugin> loaded = LoadedPlugins();
  for (const std::string& origin : origins) {
    std::vector<const StageInfo*> stages;
    for (const StageInfo* info : registry.List()) {
      if (info->origin == origin) stages.push_back(info);
    }
    if (stages.empty() && origin != "built-in") continue;
    if (origin == "built-in") {
      out << "Built-in stages:\n";
    } else {
      auto it = std::find_if(loaded.begin(), loaded.end(),
                             [&](const LoadedPlugin& p) { return p.path == origin; });
      out << "Plugin";
      if (it != loaded.end()) out << " " << it->name << " " << it->version;
      out << " (" << origin << ")";
      if (it != loaded.end() && !it->about.empty()) out << ": " << it->about;
      out << "\n";
    }
    if (stages.empty()) out << "  (none)\n";
    for (const StageInfo* info : stages) PrintStage(out, *info, verbose);
    if (!verbose) out << "\n";
  }
  std::string text = out.str();
  while (text.size() >= 2 && text[text.size() - 1] == '\n' && text[text.size() - 2] == '\n') {
    text.pop_back();
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace snpflow::cli
