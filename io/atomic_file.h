#pragma once
/// Outputs are written to a temp file in the same directory and renamed on Commit(), so a crash
/// never leaves a half-written file under the final name.
///
/// Temp files are `.<name>.snpflow-tmp.XXXXXX` (6 random characters) beside the final file,
/// created with O_CREAT|O_EXCL|O_NOFOLLOW: a file or symlink planted at a temp name is never
/// opened, and rename() replaces a symlink at the final name instead of writing through it.
/// Leftovers of a killed run are removed by RemoveStaleTempFiles().
#include <cstdio>
#include <functional>
#include <string>

namespace snpflow::io {

/// Called by Commit() with the temp file's path once its bytes are final, on another thread
/// while Commit waits for the disk (fsync): e.g. to hash the file for a manifest meanwhile.
using OnWritten = std::function<void(const std::string& temp_path)>;

class AtomicFile {
 public:
  /// Create a fresh temp file beside `path` for writing; throws InputError naming the path.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temp file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Append bytes; throws InputError (e.g. disk full) naming the path.
  void Write(const void* data, size_t size);
  void Write(const std::string& text) { Write(text.data(), text.size()); }
  /// Flush, fsync and rename to the final path, then fsync the directory; `on_written`, if
  /// given, runs beside the fsync (its exception, if any, is rethrown after the wait).
  void Commit(const OnWritten& on_written = nullptr);
  FILE* file() { return file_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  size_t unsynced_ = 0;  // bytes written since the last writeback was started
  bool committed_ = false;
};

/// A temp file beside `path` that another writer (htslib, gnuplot) fills by name. The file is
/// created empty and exclusively, so the writer opens our own regular file, never a planted
/// link; Commit() fsyncs it and renames it to `path`; the destructor removes it otherwise.
class TempPath {
 public:
  /// Create the empty temp file; throws InputError naming `path`.
  explicit TempPath(std::string path);
  ~TempPath();
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;

  /// The temp file's path (in the final file's directory).
  const std::string& temp() const { return temp_; }
  const std::string& path() const { return path_; }
  /// Fsync the temp file, rename it to the final path and fsync the directory.
  void Commit();

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
};

/// Create `.<name>.snpflow-tmp.XXXXXX` beside `path` with O_CREAT|O_EXCL|O_NOFOLLOW (mode 0666
/// less the umask), retrying on a name clash; return the open descriptor and set `*temp_path`.
/// Throws InputError naming `path`.
int CreateTempFile(const std::string& path, std::string* temp_path);

/// True when `name` (a file name without directory) is one of our temp names.
bool IsTempFileName(const std::string& name);

/// Delete what killed runs left in `dir` and its direct subdirectories: regular files whose name
/// is one of our temp names, and nothing else (symlinks are neither followed nor removed). Call
/// it only while no other snpflow run writes into `dir` (under the output directory's lock).
/// Returns the number of files removed; a missing `dir` is not an error.
size_t RemoveStaleTempFiles(const std::string& dir);

/// Fsync the directory holding `path`, so a rename into it survives a crash. Throws InputError.
void SyncParentDir(const std::string& path);

/// Write `contents` to `path` atomically.
void WriteFileAtomic(const std::string& path, const std::string& contents);

/// Create a directory and its parents; throws InputError naming the path.
void MakeDirs(const std::string& path);

}  // namespace snpflow::io
