#pragma once
/// A progress line on stderr for long work, at most once a second (or every 10 s when stderr is
/// not a terminal), like bcftools/plink. Silent when quiet.
#include <chrono>
#include <string>

namespace snpflow {

class Progress {
 public:
  Progress(std::string what, bool quiet);
  /// Report `line` if enough time passed since the last report. Serial.
  void Update(const std::string& line);
  /// Print the final line (always, unless quiet) and end it with a newline.
  void Done(const std::string& line);
  double seconds() const;

 private:
  std::string what_;
  bool quiet_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
  bool printed_ = false;
};

/// CPU seconds used so far by the calling thread (CLOCK_THREAD_CPUTIME_ID): per-stage times that
/// stay meaningful on a loaded machine, where wall time also counts the waits for a core.
double ThreadCpuSeconds();

}  // namespace snpflow
