// One set of defaults: every stage option a model config (configs/*.ini with a trainer) sets
// repeats the option's declared default, so `snpflow run configs/dietnet.ini` and `snpflow train
// --model dietnet` train the same model.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "pipeline/options.h"
#include "pipeline/registry.h"
#include "stages/batcher.h"
#include "stages/register_builtin.h"
#include "stages/train/register_train.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

/// section -> key -> value of an ini file (top-level keys under "").
std::map<std::string, std::map<std::string, std::string>> ReadIni(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::map<std::string, std::map<std::string, std::string>> ini;
  std::string section, line;
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    size_t eq = line.find('=');
    ini[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return ini;
}

/// True when `value` and `def` denote the same value of `type`.
bool SameValue(OptionType type, const std::string& value, const std::string& def) {
  switch (type) {
    case OptionType::kDouble:
      return ParseDoubleOption(value, "config") == ParseDoubleOption(def, "default");
    case OptionType::kInt:
      return ParseIntOption(value, "config") == ParseIntOption(def, "default");
    case OptionType::kBool:
      return ParseBoolOption(value, "config") == ParseBoolOption(def, "default");
    default:
      return value == def;
  }
}

TEST(Configs, ModelConfigsRepeatTheDefaults) {
  StageRegistry registry;
  RegisterBuiltinStages(registry);
  RegisterTrainStages(registry);
  for (const char* name : {"dietnet", "mlp", "mlp-improved", "demo"}) {
    const std::string path = testing::SourceDir() + "/configs/" + name + ".ini";
    SCOPED_TRACE(path);
    auto ini = ReadIni(path);
    ASSERT_TRUE(ini.count("pipeline") && ini["pipeline"].count("trainer"));
    const std::string trainer = ini["pipeline"]["trainer"];
    int checked = 0;
    for (const auto& [section, values] : ini) {
      if (section.empty() || section == "pipeline") continue;  // run options, stage lists
      const std::vector<OptionDecl>* decls = nullptr;
      if (section == "train") decls = &registry.Get(trainer).options;
      else if (section == "batcher") decls = &BatcherOptionDecls();
      else decls = &registry.Get(section).options;
      for (const auto& [key, value] : values) {
        const OptionDecl* decl = nullptr;
        for (const auto& d : *decls)
          if (d.name == key) decl = &d;
        ASSERT_NE(decl, nullptr) << "[" << section << "] " << key << " is not an option";
        EXPECT_TRUE(SameValue(decl->type, value, decl->default_value))
            << "[" << section << "] " << key << " = " << value << " but the default is "
            << decl->default_value;
        ++checked;
      }
    }
    if (std::string(name) != "demo") EXPECT_GE(checked, 10) << "the config states the defaults";
  }
}

}  // namespace
}  // namespace snpflow
