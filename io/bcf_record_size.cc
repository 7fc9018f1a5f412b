#include "io/bcf_record_size.h"

#include <cstdio>
#include <cstring>

namespace snpflow::io {
namespace {

constexpr uint64_t kMaxBlockBytes = 65536;   // uncompressed bytes of one BGZF block, at most
constexpr uint64_t kMinBlockBytes = 28;      // header 18 + deflate 2 + CRC and size 8
constexpr uint64_t kMaxDeflateRatio = 1032;  // plain gzip: deflate expands a byte 1032x at most

uint32_t LittleEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The uncompressed bytes left in `fp` from its current position, at most.
uint64_t BytesLeftAtMost(const BGZF* fp, uint64_t file_size) {
  const uint64_t in_block = static_cast<uint64_t>(fp->block_length - fp->block_offset);
  const uint64_t from = static_cast<uint64_t>(fp->block_address);
  const uint64_t compressed_left = file_size > from ? file_size - from : 0;
  if (!fp->is_compressed) return compressed_left > static_cast<uint64_t>(fp->block_offset)
                                     ? compressed_left - static_cast<uint64_t>(fp->block_offset)
                                     : 0;
  if (fp->is_gzip) return in_block + compressed_left * kMaxDeflateRatio;
  // block_address is where the current block starts: it and every block after it.
  return (compressed_left / kMinBlockBytes + 1) * kMaxBlockBytes;
}

}  // namespace

bool PeekBgzf(BGZF* fp, uint8_t* out, int n, BGZF* side) {
  if (fp->block_offset >= fp->block_length) {
    // The current block is used up: load the next one, as bgzf_read would now.
    if (bgzf_read_block(fp) != 0 || fp->block_length == 0) return false;
  }
  if (fp->block_length - fp->block_offset >= n) {
    std::memcpy(out, static_cast<const uint8_t*>(fp->uncompressed_block) + fp->block_offset,
                static_cast<size_t>(n));
    return true;
  }
  // The bytes straddle two blocks: read them from the side handle, or from fp and then go back
  // (a plain gzip stream cannot). The input is a regular file, so the seeks do not fail in
  // practice.
  if (fp->is_gzip) return false;
  const int64_t at = bgzf_tell(fp);
  if (side != nullptr)
    return bgzf_seek(side, at, SEEK_SET) == 0 && bgzf_read(side, out, static_cast<size_t>(n)) == n;
  const ssize_t got = bgzf_read(fp, out, static_cast<size_t>(n));
  return bgzf_seek(fp, at, SEEK_SET) == 0 && got == n;
}

uint64_t OversizedBcfRecord(BGZF* fp, uint64_t file_size, BGZF* side) {
  uint8_t head[8];
  if (!PeekBgzf(fp, head, 8, side)) return 0;
  const uint64_t claimed = 8 + uint64_t{LittleEndian32(head)} + LittleEndian32(head + 4);
  return claimed > BytesLeftAtMost(fp, file_size) ? claimed : 0;
}

uint64_t OversizedBcfHeader(BGZF* fp, uint64_t file_size) {
  uint8_t head[9];  // "BCF\2\2", then the header text's length
  if (!PeekBgzf(fp, head, 9) || std::memcmp(head, "BCF\2", 4) != 0) return 0;
  const uint64_t claimed = 9 + uint64_t{LittleEndian32(head + 5)};
  return claimed > BytesLeftAtMost(fp, file_size) ? claimed : 0;
}

}  // namespace snpflow::io
