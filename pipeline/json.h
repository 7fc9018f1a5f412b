#pragma once
/// A small JSON writer for summaries and manifests (no parsing needed anywhere).
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace snpflow {

/// Return `s` as a quoted JSON string.
std::string JsonString(const std::string& s);

/// Builds one JSON object; values are added already encoded (use the typed Add overloads).
class JsonObject {
 public:
  JsonObject& Add(const std::string& key, const std::string& value) { return Raw(key, JsonString(value)); }
  JsonObject& Add(const std::string& key, const char* value) { return Raw(key, JsonString(value)); }
  JsonObject& Add(const std::string& key, double value);
  JsonObject& Add(const std::string& key, int64_t value) { return Raw(key, std::to_string(value)); }
  JsonObject& Add(const std::string& key, uint64_t value) { return Raw(key, std::to_string(value)); }
  JsonObject& Add(const std::string& key, int value) { return Raw(key, std::to_string(value)); }
  JsonObject& Add(const std::string& key, bool value) { return Raw(key, value ? "true" : "false"); }
  JsonObject& Add(const std::string& key, const JsonObject& value) { return Raw(key, value.str()); }
  JsonObject& Add(const std::string& key, const std::map<std::string, uint64_t>& counts);
  /// Add an already-encoded JSON value (an array, say).
  JsonObject& Raw(const std::string& key, const std::string& json);
  /// Return the object, e.g. {"a": 1, "b": "x"}.
  std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

/// Return a JSON array of already-encoded values.
std::string JsonArray(const std::vector<std::string>& encoded);

}  // namespace snpflow
