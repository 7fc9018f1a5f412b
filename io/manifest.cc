#include "io/manifest.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "pipeline/json.h"

#ifndef SNPFLOW_VERSION
#define SNPFLOW_VERSION "unknown"
#endif

namespace snpflow::io {

namespace {

// A minimal JSON reader for manifests: objects, arrays, strings, numbers, true/false/null.
struct Json {
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject } type = kNull;
  std::string text;  // string value, or the number's digits
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  const Json* Get(const std::string& key) const {
    for (const auto& [k, v] : fields)
      if (k == key) return &v;
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  Json Parse() {
    Json v = Value(0);
    Space();
    if (i_ != s_.size()) Fail("trailing text");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw std::runtime_error(what + " at byte " + std::to_string(i_));
  }
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool Eat(char c) {
    Space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  std::string String() {
    if (!Eat('"')) Fail("expected a string");
    std::string out;
    while (true) {
      if (i_ >= s_.size()) Fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) Fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) Fail("bad \\u escape");
          unsigned code = static_cast<unsigned>(std::stoul(s_.substr(i_, 4), nullptr, 16));
          i_ += 4;
          // Our writer escapes only control characters this way; encode as UTF-8 anyway.
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: Fail("bad escape");
      }
    }
  }
  Json Value(int depth) {
    if (depth > 64) Fail("nested too deeply");
    Space();
    if (i_ >= s_.size()) Fail("unexpected end");
    Json v;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.type = Json::kObject;
      if (Eat('}')) return v;
      do {
        std::string key = String();
        if (!Eat(':')) Fail("expected ':'");
        v.fields.emplace_back(std::move(key), Value(depth + 1));
      } while (Eat(','));
      if (!Eat('}')) Fail("expected '}'");
    } else if (c == '[') {
      ++i_;
      v.type = Json::kArray;
      if (Eat(']')) return v;
      do v.items.push_back(Value(depth + 1));
      while (Eat(','));
      if (!Eat(']')) Fail("expected ']'");
    } else if (c == '"') {
      v.type = Json::kString;
      v.text = String();
    } else if (s_.compare(i_, 4, "true") == 0 || s_.compare(i_, 5, "false") == 0) {
      v.type = Json::kBool;
      v.text = s_[i_] == 't' ? "true" : "false";
      i_ += v.text.size();
    } else if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = Json::kNumber;
      size_t start = i_;
      while (i_ < s_.size() && std::strchr("+-0123456789.eE", s_[i_]) != nullptr) ++i_;
      v.text = s_.substr(start, i_ - start);
    } else {
      Fail("unexpected character");
    }
    return v;
  }

  const std::string& s_;
  size_t i_ = 0;
};

std::string Hex128(const XXH128_hash_t& h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

std::string ManifestPath(const std::string& dir) { return dir + "/" + kManifestFile; }

using Xxh3State = std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)>;

// A fresh XXH3-128 streaming state (default seed).
Xxh3State NewXxh3State() {
  Xxh3State state(XXH3_createState(), &XXH3_freeState);
  XXH3_128bits_reset(state.get());
  return state;
}

// FileChecksum of a file this process has just written, under its directory's lock: no one
// shortens it while it is mapped (which would be a SIGBUS), so it is hashed straight from the
// page cache, without read()'s copy (a third of the time at 29 MB), a window at a time (the
// mapped pages count as the process's memory). Nothing when it cannot be mapped.
std::optional<std::string> MappedChecksum(const std::string& path, uint64_t* size) {
  constexpr size_t kWindowBytes = size_t{16} << 20;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> sum;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    const size_t n_bytes = static_cast<size_t>(st.st_size);
    Xxh3State state = NewXxh3State();
    size_t at = 0;
    for (; at < n_bytes; at += kWindowBytes) {
      const size_t n = std::min(kWindowBytes, n_bytes - at);
      void* map = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
                         static_cast<off_t>(at));
      if (map == MAP_FAILED) break;
      XXH3_128bits_update(state.get(), map, n);
      ::munmap(map, n);
    }
    if (at >= n_bytes) {
      sum = Hex128(XXH3_128bits_digest(state.get()));
      *size = n_bytes;
    }
  }
  ::close(fd);
  return sum;
}

}  // namespace

const ManifestEntry* Manifest::Find(const std::string& path) const {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

std::string FileChecksum(const std::string& path, uint64_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read '" + path + "': " + std::strerror(errno));
  Xxh3State state = NewXxh3State();
  // Cache-sized and left unzeroed: a zero-filled 1 MB buffer per file cost 256 page faults and a
  // memset, for bytes that read() overwrites.
  constexpr size_t kBufferBytes = size_t{256} << 10;
  std::unique_ptr<char[]> buf(new char[kBufferBytes]);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd, buf.get(), kBufferBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw InputError("cannot read '" + path + "': " + std::strerror(err));
    }
    if (n == 0) break;
    XXH3_128bits_update(state.get(), buf.get(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (size != nullptr) *size = total;
  return Hex128(XXH3_128bits_digest(state.get()));
}

ManifestEntry DescribeFile(const std::string& dir, const std::string& rel) {
  return DescribeFileAs(dir + "/" + rel, rel);
}

ManifestEntry DescribeFileAs(const std::string& path, const std::string& rel) {
  ManifestEntry e;
  e.path = rel;
  std::optional<std::string> sum = MappedChecksum(path, &e.size);
  e.xxh3_128 = sum ? *std::move(sum) : FileChecksum(path, &e.size);  // read() names the error
  return e;
}

std::string ManifestFilesJson(const std::vector<ManifestEntry>& files, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::string out = "[\n";
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    out += pad + "  {\"path\": " + JsonString(f.path) + ", \"size\": " + std::to_string(f.size) +
           ", \"xxh3_128\": " + JsonString(f.xxh3_128) + "}" + (i + 1 < files.size() ? "," : "") +
           "\n";
  }
  return out + pad + "]";
}

void WriteManifest(const std::string& dir, const Manifest& manifest) {
  std::string j = "{\n";
  j += "  \"format\": \"snpflow-manifest\",\n";
  j += "  \"format_version\": " + std::to_string(kManifestVersion) + ",\n";
  j += "  \"kind\": " + JsonString(manifest.kind) + ",\n";
  j += "  \"snpflow_version\": " + JsonString(SNPFLOW_VERSION) + ",\n";
  j += "  \"checksum\": \"xxh3_128\",\n";
  j += "  \"key\": " + JsonString(manifest.key) + ",\n";
  j += "  \"files\": " + ManifestFilesJson(manifest.files, 2) + "\n}\n";
  WriteFileAtomic(ManifestPath(dir), j);
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open directory '" + dir + "': " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw InputError("cannot sync directory '" + dir + "': " + std::strerror(err));
}

void RemoveManifest(const std::string& dir) {
  const std::string path = ManifestPath(dir);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    throw InputError("cannot remove '" + path + "': " + std::strerror(errno));
  }
  SyncDir(dir);
}

Manifest ReadManifest(const std::string& dir, const std::string& rerun) {
  const std::string path = ManifestPath(dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError("'" + dir + "' has no " + kManifestFile +
                     " (written by an older snpflow, or the run that wrote it was killed before "
                     "its end); re-run `" + rerun + "`");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Manifest m;
  auto bad = [&](const std::string& what) {
    return FormatError("'" + path + "' is not a valid manifest (" + what +
                       "; edited or corrupted?); re-run `" + rerun + "`");
  };
  Json root;
  try {
    root = JsonParser(text).Parse();
  } catch (const std::exception& e) {
    throw bad(e.what());
  }
  if (root.type != Json::kObject) throw bad("not a JSON object");
  const Json* version = root.Get("format_version");
  if (version == nullptr || version->type != Json::kNumber) throw bad("no format_version");
  m.format_version = std::atoi(version->text.c_str());
  const Json* format = root.Get("format");
  if (format != nullptr && format->text == "snpflow-manifest" &&
      m.format_version > kManifestVersion) {
    throw FormatError("'" + path + "' has format version " + version->text +
                      ", newer than this snpflow reads (" + std::to_string(kManifestVersion) +
                      "); upgrade snpflow or re-run `" + rerun + "`");
  }
  if (const Json* kind = root.Get("kind")) m.kind = kind->text;
  else if (format != nullptr && format->text == "snpflow-export") m.kind = "export";
  if (const Json* key = root.Get("key")) m.key = key->text;
  const Json* files = root.Get("files");
  if (files == nullptr || files->type != Json::kArray) throw bad("no \"files\" array");
  for (const Json& f : files->items) {
    if (f.type != Json::kObject) throw bad("a \"files\" entry is not an object");
    const Json* name = f.Get("path");
    if (name == nullptr) name = f.Get("name");  // the export manifest's entries
    const Json* size = f.Get("size");
    const Json* sum = f.Get("xxh3_128");
    if (name == nullptr || name->type != Json::kString || size == nullptr ||
        size->type != Json::kNumber || sum == nullptr || sum->type != Json::kString)
      throw bad("a \"files\" entry lacks path, size or xxh3_128");
    ManifestEntry e;
    e.path = name->text;
    if (e.path.empty() || e.path[0] == '/' || e.path.find("..") != std::string::npos)
      throw bad("file path '" + e.path + "' is not inside the directory");
    e.size = std::strtoull(size->text.c_str(), nullptr, 10);
    e.xxh3_128 = sum->text;
    m.files.push_back(std::move(e));
  }
  return m;
}

void VerifyManifest(const std::string& dir, const Manifest& manifest,
                    const std::vector<std::string>& required, const std::string& rerun) {
  const std::string manifest_path = ManifestPath(dir);
  for (const auto& r : required) {
    if (manifest.Find(r) == nullptr)
      throw FormatError("'" + dir + "/" + r + "' is not listed in " + manifest_path +
                        "; re-run `" + rerun + "`");
  }
  for (const auto& f : manifest.files) {
    const std::string path = dir + "/" + f.path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw FormatError("'" + path + "' is listed in " + manifest_path + " but " +
                        std::strerror(errno) + "; re-run `" + rerun + "`");
    uint64_t size = 0;
    std::string sum = static_cast<uint64_t>(st.st_size) == f.size ? FileChecksum(path, &size) : "";
    if (static_cast<uint64_t>(st.st_size) != f.size || size != f.size)
      throw FormatError("'" + path + "' has " + std::to_string(st.st_size) + " bytes but " +
                        manifest_path + " lists " + std::to_string(f.size) +
                        " (truncated, edited or corrupted?); re-run `" + rerun + "`");
    if (sum != f.xxh3_128)
      throw FormatError("'" + path + "' does not match its checksum in " + manifest_path +
                        " (edited or corrupted?); re-run `" + rerun + "`");
  }
}

Manifest VerifyDirectory(const std::string& dir, const std::vector<std::string>& required,
                         const std::string& rerun) {
  Manifest m = ReadManifest(dir, rerun);
  VerifyManifest(dir, m, required, rerun);
  return m;
}

}  // namespace snpflow::io
