#pragma once
/// NumPy .npy (format 1.0) files, written atomically and streamed row by row, so nothing has to be
/// held densely in memory. dtype strings as NumPy writes them: "|u1", "<u2", "<i8", "<f4".
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace snpflow::io {

/// Streams one C-order array to `path`; the header is written first, then rows via Write().
class NpyWriter {
 public:
  /// shape[0] == kOpenFirstAxis: the number of rows is what Write() gives, set in the header by
  /// Commit() (plain .npy only: the header is rewritten in place).
  static constexpr uint64_t kOpenFirstAxis = UINT64_MAX;
  /// `compress_zstd`: write a zstd stream of the whole .npy (file name should end in .npy.zst).
  NpyWriter(std::string path, std::string dtype, std::vector<uint64_t> shape,
            bool compress_zstd = false);
  ~NpyWriter();
  /// Append raw little-endian element bytes, in C order.
  void Write(const void* data, size_t bytes);
  /// Check that exactly prod(shape) elements (an open first axis: whole rows) were written, then
  /// rename into place.
  void Commit(const OnWritten& on_written = nullptr);  // see AtomicFile::Commit

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Write a whole array at once.
void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape,
              const void* data, size_t bytes);

/// A loaded array (tests, predict).
struct NpyArray {
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> data;
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};
/// Read a .npy (or .npy.zst) file; FormatError naming the file if it is not a valid .npy.
NpyArray ReadNpy(const std::string& path);
/// Read rows [begin, end) of the first axis of a .npy: the header and the file's size are
/// checked as ReadNpy does, then only those rows' bytes are read (a .npy.zst, which cannot be
/// sought in, is read whole and sliced). The result's shape[0] is end - begin; `total_rows`
/// (optional) gets the file's. Throws as ReadNpy, and Error on a range that is not the file's.
NpyArray ReadNpyRows(const std::string& path, uint64_t begin, uint64_t end,
                     uint64_t* total_rows = nullptr);

}  // namespace snpflow::io
