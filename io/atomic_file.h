#pragma once
/// Outputs are written to a temp file in the same directory and renamed on Commit(), so a crash
/// never leaves a half-written file under the final name.
#include <cstdio>
#include <string>

namespace snpflow::io {

class AtomicFile {
 public:
  /// Open `<path>.tmp.<pid>` for writing; throws InputError naming the path on failure.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temp file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Append bytes; throws InputError (e.g. disk full) naming the path.
  void Write(const void* data, size_t size);
  void Write(const std::string& text) { Write(text.data(), text.size()); }
  /// Flush, fsync and rename to the final path.
  void Commit();
  FILE* file() { return file_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  bool committed_ = false;
};

/// Write `contents` to `path` atomically.
void WriteFileAtomic(const std::string& path, const std::string& contents);

/// Create a directory and its parents; throws InputError naming the path.
void MakeDirs(const std::string& path);

}  // namespace snpflow::io
