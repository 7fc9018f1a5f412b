#include "io/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "io/atomic_file.h"
#include "pipeline/error.h"

namespace snpflow::io {

namespace {

struct Held {
  int fd = -1;
  int count = 0;
  pid_t pid = 0;  // a child after fork() inherits the map, not the lock
};

std::mutex& LockMutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, Held>& HeldLocks() {
  static std::map<std::string, Held> held;
  return held;
}

std::string Canonical(const std::string& dir) {
  std::error_code ec;
  auto p = std::filesystem::canonical(dir, ec);
  return ec ? dir : p.string();
}

// This process's command line, arguments joined by spaces (from /proc/self/cmdline).
std::string CommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw)
    if (c == '\0' || c == '\n') c = ' ';
  if (raw.size() > 300) raw = raw.substr(0, 300) + "...";
  return raw;
}

std::string Now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown host";
  return buf;
}

// The holder as the lock file describes it: "snpflow ingest (pid 1234 on host, started ...)".
std::string Holder(int fd) {
  std::string text(4096, '\0');
  ssize_t n = pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  std::map<std::string, std::string> kv;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    size_t eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    start = end + 1;
  }
  if (!kv.count("pid")) return "another snpflow run (which did not say who it is)";
  return kv["what"] + " (pid " + kv["pid"] + " on " + kv["host"] + ", started " + kv["started"] +
         ": " + kv["command"] + ")";
}

}  // namespace

DirLock DirLock::Acquire(const std::string& dir, const std::string& command) {
  MakeDirs(dir);
  const std::string key = Canonical(dir);
  std::lock_guard<std::mutex> guard(LockMutex());
  auto& held = HeldLocks();
  auto it = held.find(key);
  if (it != held.end() && it->second.pid == getpid()) {
    ++it->second.count;
    return DirLock(key);
  }
  if (it != held.end()) {  // inherited through fork(): the parent's lock, not ours
    ::close(it->second.fd);
    held.erase(it);
  }
  const std::string path = dir + "/" + kLockFile;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw InputError("cannot open the lock file '" + path + "': " + std::strerror(errno) +
                     "; check that '" + dir + "' is a writable directory");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = err == EWOULDBLOCK ? Holder(fd) : "";
    ::close(fd);
    if (err == EWOULDBLOCK)
      throw InputError("'" + dir + "' is in use by " + holder +
                       "; wait for it or use another -o");
    throw InputError("cannot lock '" + path + "': " + std::strerror(err));
  }
  const std::string info = "what=" + command + "\npid=" + std::to_string(getpid()) +
                           "\nhost=" + HostName() + "\nstarted=" + Now() +
                           "\ncommand=" + CommandLine() + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, info.data(), info.size(), 0) != static_cast<ssize_t>(info.size())) {
    // The lock is ours; only the description of the holder is missing. Not fatal.
  }
  held[key] = Held{fd, 1, getpid()};
  // The temp files of killed runs go now, under the lock, where no other run writes into `dir`.
  RemoveStaleTempFiles(dir);
  return DirLock(key);
}

DirLock::~DirLock() {
  if (key_.empty()) return;
  std::lock_guard<std::mutex> guard(LockMutex());
  auto& held = HeldLocks();
  auto it = held.find(key_);
  if (it == held.end() || it->second.pid != getpid()) return;
  if (--it->second.count == 0) {
    ::close(it->second.fd);  // releases the flock
    held.erase(it);
  }
}

bool DirLock::HeldByThisProcess(const std::string& dir) {
  std::lock_guard<std::mutex> guard(LockMutex());
  auto it = HeldLocks().find(Canonical(dir));
  return it != HeldLocks().end() && it->second.pid == getpid();
}

}  // namespace snpflow::io
