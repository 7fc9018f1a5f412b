#pragma once
/// The length checks of BCF records and headers before htslib reads them. bcf_read allocates the
/// two lengths a record starts with (shared and per-sample bytes, each up to 4 GiB) before it
/// reads them, and bcf_hdr_read the header's length, so a corrupt or crafted file of a few
/// kilobytes makes it allocate gigabytes. These look at the lengths first and compare them with
/// what the rest of the file can hold.
#include <htslib/bgzf.h>

#include <cstdint>

namespace snpflow::io {

/// Copies the next `n` uncompressed bytes of `fp` to `out` and leaves `fp` where it was: from
/// the current block, or, when they straddle two blocks, from `side`, a second handle on the same
/// file, seeked to fp's position (without one: by reading them from fp and seeking it back; with
/// htslib's thread pool such a seek drops every block decompressed ahead, to be done again).
/// Returns false at the end of the stream, on a read error, or for bytes that straddle two blocks
/// of a plain (not BGZF) gzip stream, which cannot seek.
bool PeekBgzf(BGZF* fp, uint8_t* out, int n, BGZF* side = nullptr);

/// The size (8 + shared + per-sample bytes) that the next BCF record in `fp` claims when it is
/// more than the rest of the file (`file_size` bytes on disk) can hold, else 0 (also when it
/// cannot peek: bcf_read then reports the end or the error). For BGZF input the bound is loose
/// (every block of at least 28 compressed bytes can hold 64 KiB); for uncompressed BCF, exact.
/// `side`: as for PeekBgzf.
uint64_t OversizedBcfRecord(BGZF* fp, uint64_t file_size, BGZF* side = nullptr);

/// The most bytes that a BCF record read from a stream (a pipe, stdin) may claim: a stream has no
/// size to hold the claim against, and bcf_read would allocate what its 8 length bytes say, and
/// half as much again (up to 12 GiB). 4 KiB per sample of the file (a real record's FORMAT data,
/// GT, AD, DP, GQ and even the PL of a 20-allele site, is ~1 KiB per sample), and at least 128 MiB:
/// a small input allocates at most 192 MiB per buffer, and a header must name a sample (2 bytes or
/// more) for each 4 KiB it allows.
uint64_t StreamBcfRecordLimit(uint64_t n_samples);

/// The size (8 + shared + per-sample bytes) that the next BCF record of the stream `fp` claims
/// when it is above `limit`, else 0. Also 0 when its 8 length bytes straddle two blocks: a stream
/// cannot be peeked past its current block without being consumed.
uint64_t OversizedStreamBcfRecord(BGZF* fp, uint64_t limit);

/// The same for the BCF header at the start of `fp` (bcf_hdr_read allocates its text's length
/// first): 9 + that length when the rest of the file cannot hold it, else 0 (also for input that
/// is not BCF).
uint64_t OversizedBcfHeader(BGZF* fp, uint64_t file_size);

}  // namespace snpflow::io
