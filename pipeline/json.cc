#include "pipeline/json.h"

#include <cmath>
#include <cstdio>

namespace snpflow {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

JsonObject& JsonObject::Add(const std::string& key, double value) {
  if (!std::isfinite(value)) return Raw(key, "null");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return Raw(key, buf);
}

JsonObject& JsonObject::Add(const std::string& key, const std::map<std::string, uint64_t>& counts) {
  JsonObject o;
  for (const auto& [k, v] : counts) o.Add(k, v);
  return Raw(key, o.str());
}

JsonObject& JsonObject::Raw(const std::string& key, const std::string& json) {
  if (!body_.empty()) body_ += ", ";
  body_ += JsonString(key) + ": " + json;
  return *this;
}

std::string JsonArray(const std::vector<std::string>& encoded) {
  std::string out = "[";
  for (size_t i = 0; i < encoded.size(); ++i) out += (i ? ", " : "") + encoded[i];
  return out + "]";
}

}  // namespace snpflow
