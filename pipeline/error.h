#pragma once
/// Errors thrown by snpflow. Each message says what went wrong, where (file, line or chrom:pos,
/// sample) and what to do. cli/main.cc is the only place that catches them.
#include <stdexcept>
#include <string>

namespace snpflow {

/// Base of every fatal snpflow error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;
};

/// A file is missing, unreadable, or its contents don't match what the run needs (e.g. samples).
class InputError : public Error {
 public:
  using Error::Error;
  ~InputError() override;
};

/// A file's bytes are malformed: truncated BGZF, a bad VCF line, a corrupted shard.
class FormatError : public Error {
 public:
  using Error::Error;
  ~FormatError() override;
};

/// A usage error: a bad option value, an unknown option, config key or stage name. The CLI exits
/// with status 2 for these (1 for every other Error).
class ConfigError : public Error {
 public:
  using Error::Error;
  ~ConfigError() override;
};

/// A plugin could not be loaded or registered.
class PluginError : public Error {
 public:
  using Error::Error;
  ~PluginError() override;
};

}  // namespace snpflow
