#pragma once
/// One run per output directory: an exclusive flock on DIR/.snpflow.lock, held while a command
/// writes into DIR. The lock file names the holder (pid, host, start time, command line), so a
/// second run into the same directory fails at once with a message saying who has it.
#include <string>

namespace snpflow::io {

inline constexpr const char* kLockFile = ".snpflow.lock";

class DirLock {
 public:
  /// Create `dir` (and its parents) if needed and take the lock for `command` ("snpflow
  /// ingest"). Throws InputError at once when another process holds it: "'DIR' is in use by
  /// snpflow ingest (pid 1234 on HOST, started ...); wait for it or use another -o". Reentrant
  /// within a process: a nested Acquire of a directory this process already holds (train after
  /// its ingest, into the same -o) succeeds and releases nothing when it ends. The first Acquire
  /// in a process removes the temp files that killed runs left in `dir`.
  static DirLock Acquire(const std::string& dir, const std::string& command);

  DirLock(DirLock&& other) noexcept : key_(std::move(other.key_)) { other.key_.clear(); }
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

  /// Return true while this process holds the lock of `dir` (for tests).
  static bool HeldByThisProcess(const std::string& dir);

 private:
  explicit DirLock(std::string key) : key_(std::move(key)) {}
  std::string key_;  // canonical directory; "" once moved from
};

}  // namespace snpflow::io
