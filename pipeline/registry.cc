#include "pipeline/registry.h"

#include "pipeline/error.h"

namespace snpflow {

Stage::~Stage() = default;

const char* StageRoleName(StageRole role) {
  switch (role) {
    case StageRole::kBlock: return "block";
    case StageRole::kSink: return "sink";
    case StageRole::kTrainer: return "trainer";
  }
  return "?";
}

void StageRegistry::Add(StageInfo info) {
  info.origin = origin_;
  auto it = stages_.find(info.name);
  if (it != stages_.end()) {
    throw PluginError("stage '" + info.name + "' from " + info.origin +
                      " clashes with the stage of the same name from " + it->second.origin +
                      "; rename one of them");
  }
  std::string name = info.name;
  stages_.emplace(std::move(name), std::move(info));
}

const StageInfo& StageRegistry::Get(const std::string& name) const {
  auto it = stages_.find(name);
  if (it != stages_.end()) return it->second;
  std::string known;
  std::vector<std::string> names;
  for (const auto& [n, info] : stages_) {
    known += (known.empty() ? "" : ", ") + n;
    names.push_back(n);
  }
  std::string msg = "unknown stage '" + name + "'";
  std::string nearest = NearestName(name, names);
  if (!nearest.empty()) msg += "; did you mean '" + nearest + "'?";
  msg += " Known stages: " + known + " (load plugins with --plugin)";
  throw ConfigError(msg);
}

std::vector<const StageInfo*> StageRegistry::List() const {
  std::vector<const StageInfo*> out;
  for (const auto& [name, info] : stages_) out.push_back(&info);
  return out;
}

void StageRegistry::ThrowWrongRole(const std::string& name, const std::string& label) const {
  throw ConfigError("stage '" + name + "' (section [" + label + "]) is a " +
                    StageRoleName(Get(name).role) + " stage and can't be used here");
}

}  // namespace snpflow
