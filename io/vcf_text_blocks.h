#pragma once
/// The VCF text fast path's serial step: decompressed bytes after the header, cut into blocks of
/// whole lines. The reader only finds line ends (memchr); parsing happens in parallel elsewhere.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace snpflow::io {

/// Up to N consecutive data lines, each ending in '\n' in `text`.
struct VcfTextBlock {
  std::unique_ptr<char[]> text;
  size_t size = 0;
  /// One past each line's '\n', so line i is [ends[i-1], ends[i]) (ends[-1] = 0).
  std::vector<size_t> ends;
  /// 1-based record number (data line after the header) of the first line.
  uint64_t first_record = 1;
  /// "chrom:pos" of the line before this block ("" for the first block), for error messages.
  std::string previous_site;
  /// The input had no line end after the last line (a '\n' was added here).
  bool unterminated_last = false;
  /// Reading failed (truncated or corrupt input) after the last line of this block.
  bool read_error = false;

  /// An error found by the serial source at line `pending_line` (lines() when after the last),
  /// thrown by the parser in record order: before parsing that line, or after it.
  std::string pending_error;
  size_t pending_line = 0;
  bool pending_after_parse = false;

  size_t lines() const { return ends.size(); }
  bool has_pending_error() const { return !pending_error.empty(); }
  void SetPendingError(size_t line, bool after_parse, std::string message) {
    pending_line = line;
    pending_after_parse = after_parse;
    pending_error = std::move(message);
  }
  /// Keep the first `n` lines only (the rest follow an error); a read error after them is moot.
  void Truncate(size_t n) {
    if (n < ends.size()) {
      ends.resize(n);
      read_error = false;
      unterminated_last = false;
    }
  }
  /// Line i without its '\n', and without a '\r' before it, as htslib's line reader returns it
  /// (it also drops a '\r' ending an unterminated last line when `strips_final_cr`: BGZF/gzip).
  std::string_view TrimmedLine(size_t i, bool strips_final_cr) const {
    std::string_view l = line(i);
    const bool last_unterminated = unterminated_last && i + 1 == lines();
    if (!l.empty() && l.back() == '\r' && (!last_unterminated || strips_final_cr))
      l.remove_suffix(1);
    return l;
  }
  /// Line i without its '\n'.
  std::string_view line(size_t i) const {
    size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text.get() + begin, ends[i] - 1 - begin);
  }
};

class VcfTextBlockReader {
 public:
  /// Reads up to n bytes into buf; returns the count, 0 at the end, < 0 on an error.
  using ReadFn = std::function<int64_t(char* buf, size_t n)>;
  /// `read_bytes`: bytes asked of `read` at a time.
  explicit VcfTextBlockReader(ReadFn read, size_t read_bytes = size_t{1} << 18);

  /// Fill `block` with the next up to `max_lines` (>= 1) lines. Returns false when no line is
  /// left and no read error is pending. A block may hold no line but read_error.
  bool Next(size_t max_lines, VcfTextBlock& block);
  /// True when the input has ended and every line was handed out.
  bool at_end() const { return eof_ && size_ == 0 && !error_; }

 private:
  void Reserve(size_t bytes);
  ReadFn read_;
  size_t read_bytes_;
  std::unique_ptr<char[]> buffer_;
  size_t size_ = 0, capacity_ = 0;
  uint64_t next_record_ = 1;
  std::string previous_site_;
  bool eof_ = false, error_ = false;
};

}  // namespace snpflow::io
