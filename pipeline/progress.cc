#include "pipeline/progress.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace snpflow {

Progress::Progress(std::string what, bool quiet)
    : what_(std::move(what)), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Update(const std::string& line) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 1.0 : 10.0)) return;
  last_ = now;
  std::fprintf(stderr, tty_ ? "\r[%s] %s\033[K" : "[%s] %s\n", what_.c_str(), line.c_str());
  printed_ = true;
}

void Progress::Done(const std::string& line) {
  if (quiet_) return;
  std::fprintf(stderr, tty_ && printed_ ? "\r[%s] %s\033[K\n" : "[%s] %s\n", what_.c_str(),
               line.c_str());
}

double ThreadCpuSeconds() {
  struct timespec t {};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace snpflow
