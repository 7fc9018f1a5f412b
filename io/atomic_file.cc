#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>

#include "pipeline/error.h"

namespace snpflow::io {
namespace {

namespace fs = std::filesystem;

constexpr char kTempInfix[] = ".snpflow-tmp.";
constexpr size_t kRandomChars = 6;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// AtomicFile starts the disk writes of every this many bytes written (sync_file_range).
constexpr size_t kWritebackBytes = size_t{4} << 20;
// Keep `.<name>.snpflow-tmp.XXXXXX` within NAME_MAX (255) for long final names.
constexpr size_t kMaxNameInTemp = 200;

/// Split `path` into its directory ("" for the current one) and file name.
void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    dir->clear();
    *name = path;
  } else {
    *dir = path.substr(0, slash + 1);  // keeps the '/', so "/x" stays in "/"
    *name = path.substr(slash + 1);
  }
}

/// `kRandomChars` characters of kAlphabet from getrandom(), or from the clock and a counter when
/// getrandom is unavailable (the name only has to be unpredictable enough not to clash; O_EXCL
/// does the safety).
std::string RandomSuffix() {
  unsigned char bytes[kRandomChars];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    static std::atomic<uint64_t> counter{0};
    uint64_t x = static_cast<uint64_t>(
                     std::chrono::steady_clock::now().time_since_epoch().count()) ^
                 (static_cast<uint64_t>(::getpid()) << 32) ^ (counter++ * 0x9E3779B97F4A7C15ull);
    for (auto& b : bytes) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      b = static_cast<unsigned char>(x >> 56);
    }
  }
  std::string out(kRandomChars, 'x');
  for (size_t i = 0; i < kRandomChars; ++i) out[i] = kAlphabet[bytes[i] % (sizeof kAlphabet - 1)];
  return out;
}

[[noreturn]] void ThrowWrite(const std::string& path, int err) {
  throw InputError("cannot write '" + path + "': " + std::strerror(err));
}

/// Fsync the file at `temp` (which becomes `shown`).
void FsyncFile(const std::string& temp, const std::string& shown) {
  const int fd = ::open(temp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ThrowWrite(shown, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ThrowWrite(shown, err);
  }
  ::close(fd);
}

void RenameInto(const std::string& temp, const std::string& path) {
  // rename() replaces whatever is at `path`, a symlink included, and never writes through it.
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    throw InputError("cannot rename '" + temp + "' to '" + path + "': " + std::strerror(errno));
  SyncParentDir(path);
}

}  // namespace

int CreateTempFile(const std::string& path, std::string* temp_path) {
  std::string dir, name;
  SplitPath(path, &dir, &name);
  if (name.empty()) throw InputError("cannot write '" + path + "': it names a directory");
  if (name.size() > kMaxNameInTemp) name.resize(kMaxNameInTemp);
  constexpr int kAttempts = 100;
  int err = EEXIST;
  for (int attempt = 0; attempt < kAttempts && err == EEXIST; ++attempt) {
    std::string temp = dir + "." + name + kTempInfix + RandomSuffix();
    const int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *temp_path = std::move(temp);
      return fd;
    }
    err = errno;
  }
  throw InputError("cannot write '" + path + "': " + std::strerror(err) +
                   "; check that the directory exists and is writable");
}

bool IsTempFileName(const std::string& name) {
  const size_t infix = sizeof kTempInfix - 1;
  if (name.size() < 2 + infix + kRandomChars || name[0] != '.') return false;
  const size_t at = name.size() - kRandomChars - infix;
  if (name.compare(at, infix, kTempInfix) != 0) return false;
  for (size_t i = name.size() - kRandomChars; i < name.size(); ++i)
    if (std::strchr(kAlphabet, name[i]) == nullptr || name[i] == '\0') return false;
  return true;
}

static size_t RemoveStaleIn(const fs::path& dir, int depth) {
  size_t removed = 0;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code st_ec;
    const fs::file_status st = fs::symlink_status(p, st_ec);  // lstat: links are not followed
    if (st_ec) continue;
    if (fs::is_regular_file(st) && IsTempFileName(p.filename().string())) {
      if (::unlink(p.c_str()) == 0) ++removed;
    } else if (fs::is_directory(st) && depth > 0) {
      removed += RemoveStaleIn(p, depth - 1);
    }
  }
  return removed;
}

size_t RemoveStaleTempFiles(const std::string& dir) {
  return RemoveStaleIn(fs::path(dir.empty() ? "." : dir), /*depth=*/1);
}

void SyncParentDir(const std::string& path) {
  std::string dir, name;
  SplitPath(path, &dir, &name);
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowWrite(path, errno);
  // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as it gets.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    const int err = errno;
    ::close(fd);
    ThrowWrite(path, err);
  }
  ::close(fd);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const int fd = CreateTempFile(path_, &temp_path_);
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp_path_.c_str());
    ThrowWrite(path_, err);
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::Write(const void* data, size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_) != size) ThrowWrite(path_, errno);
  // Start writing each kWritebackBytes to disk now, so that Commit's fsync of a large file waits
  // for its last pages only. SYNC_FILE_RANGE_WRITE does not wait for pages already being written;
  // it is a hint, and an I/O error it would report is fsync's to report.
  unsynced_ += size;
  if (unsynced_ >= kWritebackBytes) {
    if (std::fflush(file_) != 0) ThrowWrite(path_, errno);
    ::sync_file_range(fileno(file_), 0, 0, SYNC_FILE_RANGE_WRITE);
    unsynced_ = 0;
  }
}

void AtomicFile::Commit(const OnWritten& on_written) {
  if (std::fflush(file_) != 0) ThrowWrite(path_, errno);
  std::future<void> beside;
  if (on_written)
    beside = std::async(std::launch::async, [&] { on_written(temp_path_); });
  const int sync_status = ::fsync(fileno(file_));
  const int sync_errno = errno;
  if (beside.valid()) beside.get();  // its error first: the file is still the temp one
  if (sync_status != 0) ThrowWrite(path_, sync_errno);
  const int close_status = std::fclose(file_);
  file_ = nullptr;
  if (close_status != 0) ThrowWrite(path_, errno);
  RenameInto(temp_path_, path_);
  committed_ = true;
}

TempPath::TempPath(std::string path) : path_(std::move(path)) {
  ::close(CreateTempFile(path_, &temp_));
}

TempPath::~TempPath() {
  if (!committed_) ::unlink(temp_.c_str());
}

void TempPath::Commit() {
  FsyncFile(temp_, path_);
  RenameInto(temp_, path_);
  committed_ = true;
}

void WriteFileAtomic(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  file.Write(contents);
  file.Commit();
}

void MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw InputError("cannot create directory '" + path + "': " + ec.message());
}

}  // namespace snpflow::io
