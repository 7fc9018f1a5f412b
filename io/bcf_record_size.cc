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

enum class Peek { kEnd, kStraddles, kDone };

// The next `n` bytes of fp when they lie in one block (loading the next block when the current
// one is used up, as bgzf_read would now); fp's position does not move.
Peek PeekInBlock(BGZF* fp, uint8_t* out, int n) {
  if (fp->block_offset >= fp->block_length) {
    if (bgzf_read_block(fp) != 0 || fp->block_length == 0) return Peek::kEnd;
  }
  if (fp->block_length - fp->block_offset < n) return Peek::kStraddles;
  std::memcpy(out, static_cast<const uint8_t*>(fp->uncompressed_block) + fp->block_offset,
              static_cast<size_t>(n));
  return Peek::kDone;
}

uint64_t ClaimedRecordBytes(const uint8_t head[8]) {
  return 8 + uint64_t{LittleEndian32(head)} + LittleEndian32(head + 4);
}

}  // namespace

bool PeekBgzf(BGZF* fp, uint8_t* out, int n, BGZF* side) {
  const Peek peek = PeekInBlock(fp, out, n);
  if (peek != Peek::kStraddles) return peek == Peek::kDone;
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
  const uint64_t claimed = ClaimedRecordBytes(head);
  return claimed > BytesLeftAtMost(fp, file_size) ? claimed : 0;
}

uint64_t StreamBcfRecordLimit(uint64_t n_samples) {
  constexpr uint64_t kFloor = uint64_t{128} << 20, kPerSample = uint64_t{4} << 10;
  return n_samples > kFloor / kPerSample ? n_samples * kPerSample : kFloor;
}

uint64_t OversizedStreamBcfRecord(BGZF* fp, uint64_t limit) {
  uint8_t head[8];
  if (PeekInBlock(fp, head, 8) != Peek::kDone) return 0;
  const uint64_t claimed = ClaimedRecordBytes(head);
  return claimed > limit ? claimed : 0;
}

uint64_t OversizedBcfHeader(BGZF* fp, uint64_t file_size) {
  uint8_t head[9];  // "BCF\2\2", then the header text's length
  if (!PeekBgzf(fp, head, 9) || std::memcmp(head, "BCF\2", 4) != 0) return 0;
  const uint64_t claimed = 9 + uint64_t{LittleEndian32(head + 5)};
  return claimed > BytesLeftAtMost(fp, file_size) ? claimed : 0;
}

}  // namespace snpflow::io
