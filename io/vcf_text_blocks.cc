#include "io/vcf_text_blocks.h"

#include <algorithm>
#include <cstring>

#include "io/vcf_line_parser.h"

namespace snpflow::io {

VcfTextBlockReader::VcfTextBlockReader(ReadFn read, size_t read_bytes)
    : read_(std::move(read)), read_bytes_(std::max<size_t>(read_bytes, 1)) {}

void VcfTextBlockReader::Reserve(size_t bytes) {
  if (size_ + bytes <= capacity_) return;
  size_t capacity = std::max(size_ + bytes, 2 * capacity_);
  std::unique_ptr<char[]> grown(new char[capacity]);  // uninitialized: no memset pass
  if (size_ > 0) std::memcpy(grown.get(), buffer_.get(), size_);
  buffer_ = std::move(grown);
  capacity_ = capacity;
}

bool VcfTextBlockReader::Next(size_t max_lines, VcfTextBlock& block) {
  block.ends.clear();
  block.size = 0;
  block.unterminated_last = false;
  block.read_error = false;
  block.first_record = next_record_;
  block.previous_site = previous_site_;
  max_lines = std::max<size_t>(max_lines, 1);
  size_t scanned = 0;  // bytes of buffer_ already searched for '\n'
  while (block.ends.size() < max_lines) {
    const void* nl = scanned < size_ ? std::memchr(buffer_.get() + scanned, '\n', size_ - scanned)
                                     : nullptr;
    if (nl != nullptr) {
      scanned = static_cast<size_t>(static_cast<const char*>(nl) - buffer_.get()) + 1;
      block.ends.push_back(scanned);
      continue;
    }
    scanned = size_;
    if (eof_) {
      size_t last = block.ends.empty() ? 0 : block.ends.back();
      if (size_ > last) {  // a final line without '\n'
        Reserve(1);
        buffer_[size_++] = '\n';
        block.ends.push_back(size_);
        block.unterminated_last = true;
      }
      block.read_error = error_;
      error_ = false;
      break;
    }
    Reserve(read_bytes_);
    int64_t got = read_(buffer_.get() + size_, read_bytes_);
    if (got <= 0) {
      eof_ = true;
      error_ = got < 0;
    } else {
      size_ += static_cast<size_t>(got);
    }
  }
  if (block.ends.empty() && !block.read_error) return false;
  // Hand the buffer to the block and keep the bytes after its last line.
  const size_t cut = block.ends.empty() ? 0 : block.ends.back();
  std::unique_ptr<char[]> rest(new char[std::max(capacity_, read_bytes_)]);
  if (size_ > cut) std::memcpy(rest.get(), buffer_.get() + cut, size_ - cut);
  block.text = std::move(buffer_);
  block.size = cut;
  buffer_ = std::move(rest);
  capacity_ = std::max(capacity_, read_bytes_);
  size_ -= cut;
  next_record_ += block.ends.size();
  if (!block.ends.empty()) previous_site_ = SiteOfLine(block.line(block.lines() - 1));
  return true;
}

}  // namespace snpflow::io
